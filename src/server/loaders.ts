import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { createArticleLoaders } from '../modules/articles/articles.loaders.ts';
import { createImageLoaders } from '../modules/images/images.loaders.ts';
import { createPeopleLoaders } from '../modules/people/people.loaders.ts';
import { createQuoteLoaders } from '../modules/quotes/quotes.loaders.ts';
import { createSearchLoaders } from '../modules/search/search.loaders.ts';
import { createRelatedLinkLoaders } from '../modules/related-links/related-links.loaders.ts';
import { createTaxonomyLoaders } from '../modules/taxonomy/taxonomy.loaders.ts';
import type { Viewer } from '../shared/viewer.ts';
import { withCacheTags } from './loader-cache-tags.ts';

function createModuleLoaders(db: Kysely<Database>, viewer: Viewer) {
  // Created in dependency order: a parent's statement primes the loaders of the rows it brought along.
  const images = createImageLoaders(db);
  const taxonomy = createTaxonomyLoaders(db);
  const people = createPeopleLoaders(db, viewer);
  const articles = createArticleLoaders(db, viewer, { ...taxonomy, ...images, ...people });
  return {
    ...articles,
    ...images,
    ...people,
    ...createQuoteLoaders(db, viewer, people),
    ...createRelatedLinkLoaders(db, viewer, { ...images, ...articles }),
    ...taxonomy,
    ...createSearchLoaders(db, viewer),
  };
}

export type Loaders = ReturnType<typeof createModuleLoaders>;

/**
 * Every DataLoader, new for each request: their caches hold what this viewer may see, and must not
 * outlive the request (https://github.com/graphql/dataloader#creating-a-new-dataloader-per-request).
 * Each records the cache tags of what it reads for the response cache (`loader-cache-tags.ts`).
 */
export function createLoaders(db: Kysely<Database>, viewer: Viewer): Loaders {
  return withCacheTags(createModuleLoaders(db, viewer));
}
