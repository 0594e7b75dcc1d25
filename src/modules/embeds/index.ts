import type { ModuleManifest } from '../module-manifest.ts';
import { readTypeDefs } from '../module-manifest.ts';
import { embedResolvers } from './embeds.resolvers.ts';

export const embedsModule: ModuleManifest = {
  name: 'embeds',
  typeDefs: readTypeDefs('./embeds.graphql', import.meta.url),
  resolvers: embedResolvers,
};

export {
  findArticleCardBySlug,
  findArticleCardByUrl,
  findPersonPage,
  findQuoteCard,
  loadArticleCard,
  loadPageBlocks,
  loadQuoteCard,
  type ArticleCard,
  type QuoteCard,
} from './embed-data.ts';
export { embedUrls, parseEmbedTarget, type EmbedTarget } from './embed-urls.ts';
export { etagMatches, etagOf } from './html.ts';
export { articleJsonLd, personJsonLd, quoteJsonLd } from './json-ld.ts';
export {
  CARD_SCRIPT,
  renderArticleEmbed,
  renderArticlePage,
  renderPersonPage,
  renderQuoteEmbed,
  renderQuotePage,
  styleHash,
  type PageSettings,
  type RenderedPage,
} from './embed-pages.ts';
export { articleOEmbed, oembedXml, quoteOEmbed, type OEmbedResponse, type SizeLimits } from './oembed.ts';
