import { sql, type Kysely } from 'kysely';
import type { Database, PersonRow } from '../../db/database.ts';
import type { Viewer } from '../../shared/viewer.ts';
import { articleIsVisible } from '../articles/index.ts';

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
  /** Part of a name or alias, without honorifics; absent lists everyone by name. */
  readonly query: string | undefined;
  readonly limit: number;
  /**
   * Keyset position: the name and id of the last person seen; with a query, its tier, closeness and
   * appearances before them.
   */
  readonly after: readonly [string, number] | readonly [number, number, number, string, number] | undefined;
}

/** A person found by a name lookup, with what ranks them. */
export interface MatchedPersonRow extends PersonRow {
  /** 0 the whole name, 1 its start, 2 the start of its words, 3 inside it, 4 only similar (trigrams). */
  readonly tier: number;
  /** Best trigram similarity of the name or an alias to the query, 0 to 1. */
  readonly closeness: number;
  /** Mentions plus quotes in articles the viewer may see. */
  readonly appearances: number;
}

// Least trigram similarity for a name that matches no prefix: pg_trgm's own default, which the `%`
// operator of the candidate search uses (https://www.postgresql.org/docs/15/pgtrgm.html#PGTRGM-GUC).
const SIMILARITY_THRESHOLD = 0.3;

/**
 * How many of the closest matches (by tier, then closeness, name and id) a lookup orders by
 * appearances and pages through: counting appearances costs an index walk per person, and a short
 * prefix ("nad") matches thousands of people in a large archive.
 */
export const PEOPLE_CANDIDATES = 100;

/** Appearances are counted up to this many (each of mentions and quotes): enough to order the common. */
export const APPEARANCES_COUNTED = 1000;

/**
 * The ids of people whose name or an alias could match `query`, through the trigram index on
 * `person_names`: every tier below needs the first query word inside the name, and tier 4 is the
 * index's own similarity operator.
 */
function candidateIds(query: string) {
  // The patterns as plain expressions of the parameter, not sub-selects: `byline_fold` is immutable,
  // so the planner folds them to constants and costs both tests as trigram index scans (a sub-select
  // is a value unknown when planning, and a `%` against an unknown value was planned as a full scan).
  return sql`(
    select distinct person_id from person_names
    where folded like '%' || split_part(byline_fold(${query}), ' ', 1) || '%'
      or folded % byline_fold(${query})
  )`;
}

/**
 * People whose name or an alias matches `query` with case, accents and punctuation folded
 * (`byline_fold`, migration 202611270002): whole name, name prefix, every query word a prefix of a
 * name word, anywhere inside the name, or trigram similarity of at least 0.3.
 */
function matchedPeople(query: string) {
  return sql<MatchedPersonRow>`(
    select people.*, m.tier, m.closeness
    from ${candidateIds(query)} as candidate
    join people on people.id = candidate.person_id
    cross join (select byline_fold(${query}) as q) as input
    cross join lateral (
      select
        min(case
          when n = input.q then 0
          when n like input.q || '%' then 1
          when not exists (
            select 1 from unnest(string_to_array(input.q, ' ')) as word
            where (' ' || n) not like '% ' || word || '%'
          ) then 2
          when n like '%' || input.q || '%' then 3
          else 4 end) as tier,
        max(similarity(n, input.q))::float8 as closeness
      from unnest(array[byline_fold(people.name)] || array(select byline_fold(alias) from unnest(people.aliases) as alias)) as n
    ) as m
    where m.tier < 4 or m.closeness >= ${SIMILARITY_THRESHOLD}
  )`;
}

/** The closest PEOPLE_CANDIDATES matches, each with its appearances in articles the viewer may see. */
function rankedPeople(viewer: Viewer, query: string) {
  const counted = (from: ReturnType<typeof sql>) =>
    sql`(select count(*) from (${from} limit ${APPEARANCES_COUNTED}) as counted)`;
  return sql<MatchedPersonRow>`(
    select closest.*,
      ${counted(sql`select 1 from article_mentions am join articles on articles.id = am.article_id
        where am.person_id = closest.id and ${articleIsVisible(viewer)}`)}
      + ${counted(sql`select 1 from quotes q join articles on articles.id = q.article_id
        where q.speaker_person_id = closest.id and ${articleIsVisible(viewer)}`)} as appearances
    from (select * from ${matchedPeople(query)} as matched
      order by tier, closeness desc, name, id limit ${PEOPLE_CANDIDATES}) as closest
  )`;
}

/** People in name order, ties broken by id; with a query, closest match first, then most seen. */
export async function listPeople(db: Kysely<Database>, viewer: Viewer, page: PeoplePageQuery) {
  if (page.query !== undefined) {
    const after = page.after as readonly [number, number, number, string, number] | undefined;
    const { rows } = await sql<MatchedPersonRow>`
      select * from ${rankedPeople(viewer, page.query)} as matched
      ${after ? sql`where (tier, -closeness, -appearances, name, id) > (${after[0]}, ${-after[1]}::float8, ${-after[2]}, ${after[3]}, ${after[4]})` : sql``}
      order by tier, closeness desc, appearances desc, name, id
      limit ${page.limit + 1}`.execute(db);
    return rows.map((row) => ({
      ...row,
      appearances: Number(row.appearances),
      closeness: Number(row.closeness),
    }));
  }
  let query = db.selectFrom('people').selectAll();
  if (page.after) {
    const [name, id] = page.after as readonly [string, number];
    query = query.where(sql<boolean>`(people.name, people.id) > (${name}, ${id})`);
  }
  return query
    .orderBy('people.name')
    .orderBy('people.id')
    .limit(page.limit + 1)
    .execute();
}

export async function countPeople(db: Kysely<Database>, viewer: Viewer, query: string | undefined) {
  if (query === undefined) {
    const row = await db
      .selectFrom('people')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
  const { rows } = await sql<{ count: number }>`
    select count(*) as count from ${matchedPeople(query)} as matched`.execute(db);
  return Number(rows[0]!.count);
}
