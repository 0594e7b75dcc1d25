import type { ModuleManifest } from '../module-manifest.ts';
import { readTypeDefs } from '../module-manifest.ts';
import { createQuoteLoaders, quotesOfArticle, type QuoteLoaders } from './quotes.loaders.ts';
import { quoteResolvers } from './quotes.resolvers.ts';

export const quotesModule: ModuleManifest<QuoteLoaders> = {
  name: 'quotes',
  typeDefs: readTypeDefs('./quotes.graphql', import.meta.url),
  resolvers: quoteResolvers,
  loaders: createQuoteLoaders,
  articleChildren: { quotes: quotesOfArticle },
};

export { resolveQuoteConnection } from './quote-connection.ts';
export { listQuotes } from './quotes.repository.ts';
