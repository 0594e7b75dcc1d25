import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';

export function findPeopleByIds(db: Kysely<Database>, ids: readonly number[]) {
  return db.selectFrom('people').selectAll().where('id', 'in', ids).execute();
}

export function findPeopleBySlugs(db: Kysely<Database>, slugs: readonly string[]) {
  return db.selectFrom('people').selectAll().where('slug', 'in', slugs).execute();
}

export function findOrganizationsByIds(db: Kysely<Database>, ids: readonly number[]) {
  return db.selectFrom('organizations').selectAll().where('id', 'in', ids).execute();
}

export function findOrganizationsBySlugs(db: Kysely<Database>, slugs: readonly string[]) {
  return db.selectFrom('organizations').selectAll().where('slug', 'in', slugs).execute();
}

/** Bylines of each article, in order. */
export function listAuthorsByArticleIds(db: Kysely<Database>, articleIds: readonly number[]) {
  return db
    .selectFrom('article_authors')
    .innerJoin('people', 'people.id', 'article_authors.person_id')
    .selectAll('people')
    .select('article_authors.article_id')
    .where('article_authors.article_id', 'in', articleIds)
    .orderBy('article_authors.article_id')
    .orderBy('article_authors.position')
    .execute();
}

/** People each article names, in order of first mention, with the role the article gives them. */
export function listMentionsByArticleIds(db: Kysely<Database>, articleIds: readonly number[]) {
  return db
    .selectFrom('article_mentions')
    .innerJoin('people', 'people.id', 'article_mentions.person_id')
    .selectAll('people')
    .select(['article_mentions.article_id', 'article_mentions.role'])
    .where('article_mentions.article_id', 'in', articleIds)
    .orderBy('article_mentions.article_id')
    .orderBy('article_mentions.position')
    .execute();
}

export function listOrganizationsByArticleIds(db: Kysely<Database>, articleIds: readonly number[]) {
  return db
    .selectFrom('article_organizations')
    .innerJoin('organizations', 'organizations.id', 'article_organizations.organization_id')
    .selectAll('organizations')
    .select('article_organizations.article_id')
    .where('article_organizations.article_id', 'in', articleIds)
    .orderBy('article_organizations.article_id')
    .orderBy('article_organizations.position')
    .execute();
}

export interface PeoplePageQuery {
  /** Part of a name or alias, matched case-insensitively. */
  readonly query: string | undefined;
  readonly limit: number;
  /** Keyset position: the name and id of the last person seen. */
  readonly after: readonly [string, number] | undefined;
}

function nameContains(query: string) {
  const pattern = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<boolean>`(people.name ilike ${pattern} or exists (select 1 from unnest(people.aliases) as alias where alias ilike ${pattern}))`;
}

/** People in name order, ties broken by id. */
export function listPeople(db: Kysely<Database>, page: PeoplePageQuery) {
  let query = db.selectFrom('people').selectAll();
  if (page.query !== undefined) query = query.where(nameContains(page.query));
  if (page.after) {
    const [name, id] = page.after;
    query = query.where(sql<boolean>`(people.name, people.id) > (${name}, ${id})`);
  }
  return query
    .orderBy('people.name')
    .orderBy('people.id')
    .limit(page.limit + 1)
    .execute();
}

export async function countPeople(db: Kysely<Database>, query: string | undefined) {
  let q = db.selectFrom('people').select((eb) => eb.fn.countAll<number>().as('count'));
  if (query !== undefined) q = q.where(nameContains(query));
  return Number((await q.executeTakeFirstOrThrow()).count);
}
