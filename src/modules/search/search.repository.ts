import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { Viewer } from '../../shared/viewer.ts';
import { articleIsVisible, filteredArticles, type ArticleListFilter } from '../articles/index.ts';
import {
  FRAGMENTS_HEADLINE,
  headlineInput as strip,
  SEARCH_CANDIDATES,
  textSearchConfig as config,
  tsquery,
  WHOLE_TEXT_HEADLINE,
} from './search-text.ts';

/** How many operands the query keeps once stop words and punctuation are gone (0: nothing to search). */
export async function countQueryTerms(db: Kysely<Database>, text: string): Promise<number> {
  const { rows } = await sql<{ nodes: number }>`select numnode(${tsquery(text)}) as nodes`.execute(db);
  return Number(rows[0]!.nodes);
}

export type SearchOrder = 'relevance' | 'newest';

export interface SearchPageQuery {
  readonly text: string;
  readonly filter: ArticleListFilter;
  readonly order: SearchOrder;
  readonly limit: number;
  /** The instant recency is measured from: fixed by the first page and carried by its cursors. */
  readonly asOf: Date;
  /** Keyset position: the score (relevance) or `listed_at` (newest) and id of the last row seen. */
  readonly after: readonly [number, number] | readonly [Date, number] | undefined;
}

// Weights of D, C, B, A (names, body, standfirst, headline) for ts_rank
// (https://www.postgresql.org/docs/15/textsearch-controls.html#TEXTSEARCH-RANKING).
export const RANK_WEIGHTS = '{0.1, 0.2, 0.4, 1.0}';

/** Up to this many matches `totalCount` is exact (found newest first, as the candidates are); past it, an estimate. */
export const EXACT_COUNT_LIMIT = 1000;

/**
 * Text rank times a mild recency boost: ×1.25 for an article published at `asOf`, fading to ×1 over
 * about a year. Measured from `asOf`, not now(), so the same row always gets the same float and a
 * cursor's score keeps its place.
 */
function score(asOf: Date, document: RawBuilder<unknown>, listedAt: RawBuilder<unknown>): RawBuilder<number> {
  return sql<number>`(ts_rank(${RANK_WEIGHTS}::float4[], ${document}, ${sql.ref('search_query')})::float8
    * (1 + 0.25 * exp(-greatest(0, extract(epoch from (${asOf.toISOString()}::timestamptz - ${listedAt})))::float8 / 31557600.0)))`;
}

function matching(db: Kysely<Database>, viewer: Viewer, text: string, filter: ArticleListFilter) {
  return filteredArticles(db.selectFrom('articles'), viewer, filter)
    .innerJoin('article_search', 'article_search.article_id', 'articles.id')
    .innerJoin(sql`${tsquery(text)}`.as('search_query'), (join) => join.onTrue())
    .where(sql<SqlBool>`article_search.document @@ search_query`);
}

export interface SearchRow {
  readonly id: number;
  readonly score: number;
  readonly listed_at: Date;
  readonly headline_html: string;
  readonly standfirst_html: string | null;
  readonly body_html: string | null;
}

/** The rows of one page (id, listed_at, score), best first in the page's order, one more than the page. */
function pageHits(db: Kysely<Database>, viewer: Viewer, page: SearchPageQuery, candidates: number) {
  const base = matching(db, viewer, page.text, page.filter);
  if (page.order === 'newest') {
    const rank = score(page.asOf, sql`article_search.document`, sql`articles.listed_at`);
    let query = base.select(['articles.id', 'articles.listed_at', rank.as('score')]);
    if (page.after) {
      const [listedAt, id] = page.after as readonly [Date, number];
      query = query.where(sql<SqlBool>`(articles.listed_at, articles.id) < (${listedAt}, ${id})`);
    }
    return sql`${query
      .orderBy('articles.listed_at', 'desc')
      .orderBy('articles.id', 'desc')
      .limit(page.limit + 1)}`;
  }
  // Relevance: the newest `candidates` matches, then ranked among themselves.
  const newest = base
    .select(['articles.id', 'articles.listed_at', 'article_search.document'])
    .select(sql`search_query`.as('search_query'))
    .orderBy('articles.listed_at', 'desc')
    .orderBy('articles.id', 'desc')
    .limit(candidates);
  const rank = score(page.asOf, sql`candidate.document`, sql`candidate.listed_at`);
  const after = page.after
    ? sql`where (${rank}, candidate.id) < (${page.after[0]}::float8, ${page.after[1]})`
    : sql``;
  return sql`select candidate.id, candidate.listed_at, ${rank} as score
    from (${newest}) as candidate ${after}
    order by score desc, candidate.id desc
    limit ${page.limit + 1}`;
}

/**
 * One page of matches with their scores and ts_headline fragments (sentinel-marked, not yet escaped).
 * RELEVANCE ranks the newest `candidates` matches (SEARCH_CANDIDATES); NEWEST walks every match.
 */
export async function searchArticles(
  db: Kysely<Database>,
  viewer: Viewer,
  page: SearchPageQuery,
  candidates = SEARCH_CANDIDATES,
) {
  const hits = pageHits(db, viewer, page, candidates);
  // Highlights only for the rows of the page: ts_headline re-parses the text, so it is the costly part.
  // The row past the page only says there is a next page: it gets no highlights.
  const { rows } = await sql<SearchRow>`
    select hits.id, hits.score, hits.listed_at,
      case when hits.place <= ${page.limit} then
        ts_headline(${config}, ${strip(sql`a.headline`)}, q.search_query, ${WHOLE_TEXT_HEADLINE}) end as headline_html,
      case when hits.place <= ${page.limit} and a.standfirst is not null
        then ts_headline(${config}, ${strip(sql`a.standfirst`)}, q.search_query, ${WHOLE_TEXT_HEADLINE}) end as standfirst_html,
      case when hits.place <= ${page.limit} then
        nullif(ts_headline(${config}, ${strip(sql`byline_article_body_text(a.id)`)}, q.search_query, ${FRAGMENTS_HEADLINE}), '') end as body_html
    from (select *, row_number() over () as place from (${hits}) as ordered) as hits
    join articles a on a.id = hits.id
    cross join ${tsquery(page.text)} as q (search_query)
    order by ${page.order === 'relevance' ? sql`hits.score desc, hits.id desc` : sql`hits.listed_at desc, hits.id desc`}`.execute(
    db,
  );
  return rows.map((row) => ({ ...row, score: Number(row.score), listed_at: new Date(row.listed_at) }));
}

/**
 * Exact count of matches up to `exactUpTo`, found newest first as the relevance candidates are; past
 * it, the planner's estimate, flagged (never less than what was counted).
 */
export async function countSearchMatches(
  db: Kysely<Database>,
  viewer: Viewer,
  text: string,
  filter: ArticleListFilter,
  exactUpTo = EXACT_COUNT_LIMIT,
): Promise<{ count: number; estimate: boolean }> {
  const base = matching(db, viewer, text, filter).select('articles.id');
  const capped = base
    .orderBy('articles.listed_at', 'desc')
    .orderBy('articles.id', 'desc')
    .limit(exactUpTo + 1);
  const { rows } = await sql<{ count: number }>`select count(*) as count from (${capped}) as capped`.execute(
    db,
  );
  const count = Number(rows[0]!.count);
  if (count <= exactUpTo) return { count, estimate: false };
  const plan = await base.explain('json');
  const estimate = Number(
    (plan[0] as { 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] })['QUERY PLAN'][0].Plan['Plan Rows'],
  );
  return { count: Math.max(count, Math.round(estimate)), estimate: true };
}

export interface RelatedRow {
  /** The article the row is related to (the batch key). */
  readonly source_id: number;
  readonly id: number;
  readonly score: number;
  readonly reasons: string[];
}

// Weights of the reasons two articles are related; curated links also sort first regardless.
const CURATED = 10;
const SHARED_PERSON = 3;
const SHARED_TAG = 2;
const SHARED_ORGANIZATION = 1;

/**
 * Articles considered per shared person, tag or organization: the newest this many. A popular tag or
 * person links to a large share of a big archive, and every candidate would be scored.
 */
export const RELATED_PER_TERM = 50;

/** The batch keys as a one-column relation `source (id)`, each row then joined laterally. */
const sources = (ids: readonly number[]) => sql`unnest(${[...ids]}::integer[]) as source (id)`;

/**
 * Articles related to each of `articleIds`: curated link targets first (in their order), then by score
 * among the newest RELATED_PER_TERM articles of each shared person, tag and organization.
 * One statement for the whole batch.
 */
export async function findRelatedArticles(
  db: Kysely<Database>,
  viewer: Viewer,
  articleIds: readonly number[],
  limit: number,
): Promise<RelatedRow[]> {
  const { rows } = await sql<RelatedRow>`
    select source.id as source_id, related.* from ${sources(articleIds)}
    cross join lateral (
      with signals (article_id, reason, weight, kind, position) as (
        select l.target_article_id, 'curated link', ${CURATED}::float8, 0, l.position
          from related_links l where l.article_id = source.id and l.target_article_id is not null
        union all
        select other.article_id, 'shares ' || p.name, ${SHARED_PERSON}::float8, 1, mine.position
          from article_mentions mine
          join people p on p.id = mine.person_id
          cross join lateral (select o.article_id from article_mentions o where o.person_id = mine.person_id
            order by o.listed_at desc, o.article_id desc limit ${RELATED_PER_TERM}) as other
          where mine.article_id = source.id
        union all
        select other.article_id, 'same tag: ' || t.name, ${SHARED_TAG}::float8, 2, mine.position
          from article_tags mine
          join tags t on t.id = mine.tag_id
          cross join lateral (select o.article_id from article_tags o where o.tag_id = mine.tag_id
            order by o.listed_at desc, o.article_id desc limit ${RELATED_PER_TERM}) as other
          where mine.article_id = source.id
        union all
        select other.article_id, 'shares ' || o.name, ${SHARED_ORGANIZATION}::float8, 3, mine.position
          from article_organizations mine
          join organizations o on o.id = mine.organization_id
          -- No listing key on this link table: the most recently stored, by article id.
          cross join lateral (select x.article_id from article_organizations x
            where x.organization_id = mine.organization_id
            order by x.article_id desc limit ${RELATED_PER_TERM}) as other
          where mine.article_id = source.id
      )
      select articles.id, sum(signals.weight) as score,
        array_agg(signals.reason order by signals.kind, signals.position, signals.reason) as reasons
      from signals
      join articles on articles.id = signals.article_id
      where articles.id <> source.id and ${articleIsVisible(viewer)}
      group by articles.id
      order by bool_or(signals.kind = 0) desc, min(case when signals.kind = 0 then signals.position end) asc nulls last,
        sum(signals.weight) desc, articles.listed_at desc, articles.id desc
      limit ${limit}
    ) as related`.execute(db);
  return rows.map((row) => ({ ...row, score: Number(row.score) }));
}

export interface QuotedWithRow {
  readonly source_id: number;
  readonly speaker_person_id: number | null;
  readonly speaker_organization_id: number | null;
  readonly article_count: number;
  readonly quote_count: number;
}

/** For each of `personIds`, the speakers quoted in the visible articles that quote them, most shared articles first. */
export async function listQuotedWith(
  db: Kysely<Database>,
  viewer: Viewer,
  personIds: readonly number[],
  limit: number,
): Promise<QuotedWithRow[]> {
  const { rows } = await sql<QuotedWithRow>`
    select source.id as source_id, together.* from ${sources(personIds)}
    cross join lateral (
      select q.speaker_person_id, q.speaker_organization_id,
        count(distinct q.article_id) as article_count, count(*) as quote_count
      from quotes q
      join articles on articles.id = q.article_id
      left join people p on p.id = q.speaker_person_id
      left join organizations o on o.id = q.speaker_organization_id
      where ${articleIsVisible(viewer)}
        and exists (select 1 from quotes mine where mine.article_id = q.article_id and mine.speaker_person_id = source.id)
        and (q.speaker_person_id <> source.id or q.speaker_organization_id is not null)
      group by q.speaker_person_id, q.speaker_organization_id, p.name, o.name
      order by count(distinct q.article_id) desc, count(*) desc, coalesce(p.name, o.name), q.speaker_person_id, q.speaker_organization_id
      limit ${limit}
    ) as together`.execute(db);
  return rows.map((row) => ({
    ...row,
    article_count: Number(row.article_count),
    quote_count: Number(row.quote_count),
  }));
}

export interface PersonTopicRow {
  readonly source_id: number;
  readonly tag_id: number;
  readonly article_count: number;
}

/** For each of `personIds`, the tags of the visible articles that quote them, most articles first. */
export async function listPersonTopics(
  db: Kysely<Database>,
  viewer: Viewer,
  personIds: readonly number[],
  limit: number,
): Promise<PersonTopicRow[]> {
  const { rows } = await sql<PersonTopicRow>`
    select source.id as source_id, topics.* from ${sources(personIds)}
    cross join lateral (
      select at.tag_id, count(*) as article_count
      from article_tags at
      join articles on articles.id = at.article_id
      join tags t on t.id = at.tag_id
      where ${articleIsVisible(viewer)}
        and exists (select 1 from quotes q where q.article_id = at.article_id and q.speaker_person_id = source.id)
      group by at.tag_id, t.name
      order by count(*) desc, t.name, at.tag_id
      limit ${limit}
    ) as topics`.execute(db);
  return rows.map((row) => ({ ...row, article_count: Number(row.article_count) }));
}
