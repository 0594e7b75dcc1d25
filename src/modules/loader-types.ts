import type { createArticleLoaders } from './articles/articles.loaders.ts';
import type { createImageLoaders } from './images/images.loaders.ts';
import type { createPeopleLoaders } from './people/people.loaders.ts';
import type { createQuoteLoaders } from './quotes/quotes.loaders.ts';
import type { createSearchLoaders } from './search/search.loaders.ts';
import type { createRelatedLinkLoaders } from './related-links/related-links.loaders.ts';
import type { createTaxonomyLoaders } from './taxonomy/taxonomy.loaders.ts';

/** Every loader of a request, by name: what resolvers read as `context.loaders`. */
export type Loaders = ReturnType<typeof createArticleLoaders> &
  ReturnType<typeof createImageLoaders> &
  ReturnType<typeof createPeopleLoaders> &
  ReturnType<typeof createQuoteLoaders> &
  ReturnType<typeof createRelatedLinkLoaders> &
  ReturnType<typeof createTaxonomyLoaders> &
  ReturnType<typeof createSearchLoaders>;
