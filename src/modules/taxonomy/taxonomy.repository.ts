import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';

export function findSectionsByIds(db: Kysely<Database>, ids: readonly number[]) {
  return db.selectFrom('sections').selectAll().where('id', 'in', ids).execute();
}

export function findSectionsBySlugs(db: Kysely<Database>, slugs: readonly string[]) {
  return db.selectFrom('sections').selectAll().where('slug', 'in', slugs).execute();
}

export function listSections(db: Kysely<Database>) {
  return db.selectFrom('sections').selectAll().orderBy('name').orderBy('id').execute();
}

export function findTagsByIds(db: Kysely<Database>, ids: readonly number[]) {
  return db.selectFrom('tags').selectAll().where('id', 'in', ids).execute();
}

export function findTagsBySlugs(db: Kysely<Database>, slugs: readonly string[]) {
  return db.selectFrom('tags').selectAll().where('slug', 'in', slugs).execute();
}
