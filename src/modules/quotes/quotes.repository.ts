import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { Viewer } from '../../shared/viewer.ts';
import { articleIsVisible } from '../../shared/visibility.ts';
import {
  HEADLINE_INPUT_FROM,
  HEADLINE_INPUT_TO,
  TEXT_SEARCH_CONFIG,
  WHOLE_TEXT_HEADLINE,
} from '../search/search-text.ts';

export interface QuoteListFilter {
  /** Slug of the person or organization who said it. */
  readonly speakerSlug?: string;
  readonly speakerPersonId?: number;
  readonly speakerOrganizationId?: number;
  readonly articleSlug?: string;
  /** Validated search text (web-search syntax) over the quote's text and context. */
  readonly text?: string;
  /** Only quotes of articles published at or after this instant. */
  readonly saidAfter?: Date;
  /** Only quotes of articles published before this instant. */
  readonly saidBefore?: Date;
}

export interface QuotePageQuery {
  readonly filter: QuoteListFilter;
  readonly limit: number;
  /**
   * Keyset position: the article's `listed_at` and id, and the quote's ordinal; with a text search,
   * the rank and id of the quote.
   */
  readonly after: readonly [Date, number, number] | readonly [number, number] | undefined;
}

// Same configuration and expression as the `quotes_search_idx` index (migration 202611270002).
const config = sql`${sql.lit(TEXT_SEARCH_CONFIG)}::regconfig`;
const quoteDocument = sql`byline_quote_search_vector(quotes.text, quotes.context)`;
const quoteQuery = (text: string) => sql`websearch_to_tsquery(${config}, ${text})`;
const quoteRank = (text: string) => sql<number>`ts_rank(${quoteDocument}, ${quoteQuery(text)})::float8`;

/** Quotes by id, only where their article is visible to the viewer. */
export function findQuotesByIds(db: Kysely<Database>, viewer: Viewer, ids: readonly number[]) {
  return db
    .selectFrom('quotes')
    .innerJoin('articles', 'articles.id', 'quotes.article_id')
    .selectAll('quotes')
    .where('quotes.id', 'in', ids)
    .where(articleIsVisible(viewer))
    .execute();
}

/** Quotes of articles the caller already holds (so already visible), in body order. */
export function listQuotesByArticleIds(db: Kysely<Database>, articleIds: readonly number[]) {
  return db
    .selectFrom('quotes')
    .selectAll()
    .where('article_id', 'in', articleIds)
    .orderBy('article_id')
    .orderBy('ordinal')
    .execute();
}

function filteredQuotes(db: Kysely<Database>, viewer: Viewer, filter: QuoteListFilter) {
  let query = db
    .selectFrom('quotes')
    .innerJoin('articles', 'articles.id', 'quotes.article_id')
    .where(articleIsVisible(viewer));
  if (filter.speakerPersonId !== undefined)
    query = query.where('quotes.speaker_person_id', '=', filter.speakerPersonId);
  if (filter.speakerOrganizationId !== undefined) {
    query = query.where('quotes.speaker_organization_id', '=', filter.speakerOrganizationId);
  }
  if (filter.speakerSlug !== undefined) {
    const slug = filter.speakerSlug;
    query = query.where(
      sql<SqlBool>`(quotes.speaker_person_id = (select id from people where slug = ${slug})
        or quotes.speaker_organization_id = (select id from organizations where slug = ${slug}))`,
    );
  }
  if (filter.articleSlug !== undefined) query = query.where('articles.slug', '=', filter.articleSlug);
  if (filter.saidAfter !== undefined) query = query.where('articles.published_at', '>=', filter.saidAfter);
  if (filter.saidBefore !== undefined) query = query.where('articles.published_at', '<', filter.saidBefore);
  if (filter.text !== undefined) {
    query = query.where(sql<SqlBool>`${quoteDocument} @@ ${quoteQuery(filter.text)}`);
  }
  return query;
}

/** One page of quotes: newest article first, body order within an article. */
export function listQuotes(db: Kysely<Database>, viewer: Viewer, page: QuotePageQuery) {
  if (page.filter.text !== undefined) return searchQuotes(db, viewer, page, page.filter.text);
  let query = filteredQuotes(db, viewer, page.filter).selectAll('quotes').select('articles.listed_at');
  if (page.after) {
    const [listedAt, articleId, ordinal] = page.after as readonly [Date, number, number];
    query = query.where(
      sql<SqlBool>`((articles.listed_at, quotes.article_id) < (${listedAt}, ${articleId})
        or ((articles.listed_at, quotes.article_id) = (${listedAt}, ${articleId}) and quotes.ordinal > ${ordinal}))`,
    );
  }
  return query
    .orderBy('articles.listed_at', 'desc')
    .orderBy('quotes.article_id', 'desc')
    .orderBy('quotes.ordinal', 'asc')
    .limit(page.limit + 1)
    .execute();
}

/** One page of a quote text search: best match first, ties broken by id, with highlights. */
async function searchQuotes(db: Kysely<Database>, viewer: Viewer, page: QuotePageQuery, text: string) {
  const rank = quoteRank(text);
  const strip = (value: RawBuilder<unknown>) =>
    sql`translate(${value}, ${HEADLINE_INPUT_FROM}, ${HEADLINE_INPUT_TO})`;
  const headline = (value: RawBuilder<unknown>) =>
    sql<string>`ts_headline(${config}, ${strip(value)}, ${quoteQuery(text)}, ${WHOLE_TEXT_HEADLINE})`;
  let query = filteredQuotes(db, viewer, page.filter)
    .selectAll('quotes')
    .select([
      'articles.listed_at',
      rank.as('rank'),
      headline(sql`quotes.text`).as('text_html'),
      sql<string | null>`case when quotes.context is not null then ${headline(sql`quotes.context`)} end`.as(
        'context_html',
      ),
    ]);
  if (page.after) {
    const [afterRank, afterId] = page.after as readonly [number, number];
    query = query.where(sql<SqlBool>`(${rank}, quotes.id) < (${afterRank}::float8, ${afterId})`);
  }
  const rows = await query
    .orderBy(sql`rank`, 'desc')
    .orderBy('quotes.id', 'desc')
    .limit(page.limit + 1)
    .execute();
  return rows.map(({ rank: score, text_html, context_html, ...quote }) => ({
    ...quote,
    search: { rank: Number(score), text: text_html, context: context_html },
  }));
}

export async function countQuotes(db: Kysely<Database>, viewer: Viewer, filter: QuoteListFilter) {
  const row = await filteredQuotes(db, viewer, filter)
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
