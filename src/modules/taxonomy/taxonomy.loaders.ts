import { oneInKeyOrder } from '../../shared/batch.ts';
import { typed } from '../../shared/typename.ts';
import * as repository from './taxonomy.repository.ts';
import type { SectionParent, TagParent } from '../parents.ts';
import { cacheTags as tag } from '../../shared/cache-tags.ts';
import { createLoader, type LoaderScope } from '../create-loader.ts';
import { tagsById, tagsBySlug } from '../loader-tags.ts';

declare module '../loader-types.ts' {
  interface Loaders extends TaxonomyLoaders {}
}

export type TaxonomyLoaders = ReturnType<typeof createTaxonomyLoaders>;

export function createTaxonomyLoaders({ db, hooks }: LoaderScope) {
  const sectionById = createLoader<number, SectionParent | null>(
    'sectionById',
    async (ids) =>
      oneInKeyOrder(
        ids,
        (await repository.findSectionsByIds(db, ids)).map((row) => typed('Section', row)),
        (row) => row.id,
      ),
    { hooks, tags: tagsById('section') },
  );
  const sectionBySlug = createLoader<string, SectionParent | null>(
    'sectionBySlug',
    async (slugs) => {
      const rows = (await repository.findSectionsBySlugs(db, slugs)).map((row) => typed('Section', row));
      for (const row of rows) sectionById.prime(row.id, row);
      return oneInKeyOrder(slugs, rows, (row) => row.slug);
    },
    { hooks, tags: tagsBySlug('section') },
  );
  const tagById = createLoader<number, TagParent | null>(
    'tagById',
    async (ids) =>
      oneInKeyOrder(
        ids,
        (await repository.findTagsByIds(db, ids)).map((row) => typed('Tag', row)),
        (row) => row.id,
      ),
    { hooks, tags: tagsById('tag') },
  );
  const tagBySlug = createLoader<string, TagParent | null>(
    'tagBySlug',
    async (slugs) => {
      const rows = (await repository.findTagsBySlugs(db, slugs)).map((row) => typed('Tag', row));
      for (const row of rows) tagById.prime(row.id, row);
      return oneInKeyOrder(slugs, rows, (row) => row.slug);
    },
    { hooks, tags: tagsBySlug('tag') },
  );
  const allSections = createLoader<'all', SectionParent[]>(
    'allSections',
    async (keys) => {
      const rows = (await repository.listSections(db)).map((row) => typed('Section', row));
      for (const row of rows) sectionById.prime(row.id, row);
      return keys.map(() => rows);
    },
    { hooks, tags: () => [tag.allTerms('section')] },
  );
  return { allSections, sectionById, sectionBySlug, tagById, tagBySlug };
}
