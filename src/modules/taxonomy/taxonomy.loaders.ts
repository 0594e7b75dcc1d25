import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { oneInKeyOrder } from '../../shared/batch.ts';
import { typed } from '../../shared/typename.ts';
import type { SectionParent, TagParent } from './taxonomy.mappers.ts';
import * as repository from './taxonomy.repository.ts';

export function createTaxonomyLoaders(db: Kysely<Database>) {
  const sectionById = new DataLoader<number, SectionParent | null>(async (ids) =>
    oneInKeyOrder(
      ids,
      (await repository.findSectionsByIds(db, ids)).map((row) => typed('Section', row)),
      (row) => row.id,
    ),
  );
  const sectionBySlug = new DataLoader<string, SectionParent | null>(async (slugs) => {
    const rows = (await repository.findSectionsBySlugs(db, slugs)).map((row) => typed('Section', row));
    for (const row of rows) sectionById.prime(row.id, row);
    return oneInKeyOrder(slugs, rows, (row) => row.slug);
  });
  const tagById = new DataLoader<number, TagParent | null>(async (ids) =>
    oneInKeyOrder(
      ids,
      (await repository.findTagsByIds(db, ids)).map((row) => typed('Tag', row)),
      (row) => row.id,
    ),
  );
  const tagBySlug = new DataLoader<string, TagParent | null>(async (slugs) => {
    const rows = (await repository.findTagsBySlugs(db, slugs)).map((row) => typed('Tag', row));
    for (const row of rows) tagById.prime(row.id, row);
    return oneInKeyOrder(slugs, rows, (row) => row.slug);
  });
  const allSections = new DataLoader<'all', SectionParent[]>(async (keys) => {
    const rows = (await repository.listSections(db)).map((row) => typed('Section', row));
    for (const row of rows) sectionById.prime(row.id, row);
    return keys.map(() => rows);
  });
  return { allSections, sectionById, sectionBySlug, tagById, tagBySlug };
}
