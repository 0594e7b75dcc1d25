import { sql, type Expression, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database, QuoteRow } from '../../db/database.ts';
import type { Viewer } from '../../shared/viewer.ts';
import { articleIsVisible, LISTED_ARTICLE_JSON } from '../articles/index.ts';
import { countOfParents, listOfParents, PARENT_ID } from '../parent-lists.ts';
import {
  headlineInput as strip,
  SEARCH_CANDIDATES,
  textSearchConfig as config,
  tsquery as quoteQuery,
  WHOLE_TEXT_HEADLINE,
} from '../search/index.ts';

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

/** Filter fields that name a parent speaker: pages that differ only by one of them run as one statement. */
export const QUOTE_PARENT_FIELDS = ['speakerPersonId', 'speakerOrganizationId'] as const;
export type QuoteParentField = (typeof QUOTE_PARENT_FIELDS)[number];

/** A filter as queries apply it: a parent id may also be the `parent.id` column of a batch of parents. */
type QueryFilter = Omit<QuoteListFilter, QuoteParentField> & {
  readonly [F in QuoteParentField]?: number | Expression<number>;
};

export interface QuotePageQuery {
  readonly filter: QuoteListFilter;
  readonly limit: number;
  /**
   * Keyset position: the article's `listed_at` and id, and the quote's ordinal; with a text search,
   * the rank and id of the quote.
   */
  readonly after: readonly [Date, number, number] | readonly [number, number] | undefined;
  /** Each row brings its (visible) article's listed columns as JSON, `article` (not for text searches). */
  readonly articles?: boolean;
}

/** A quote's columns as read (not its search document: a tsvector only search tests and ranks). */
const QUOTE_COLUMNS = [
  'quotes.id',
  'quotes.article_id',
  'quotes.ordinal',
  'quotes.block_position',
  'quotes.text',
  'quotes.context',
  'quotes.speaker_person_id',
  'quotes.speaker_organization_id',
  'quotes.speaker_name',
  'quotes.listed_at',
] as const;

/** Quotes by id, only where their article is visible to the viewer. */
export function findQuotesByIds(db: Kysely<Database>, viewer: Viewer, ids: readonly number[]) {
  return db
    .selectFrom('quotes')
    .innerJoin('articles', 'articles.id', 'quotes.article_id')
    .select(QUOTE_COLUMNS)
    .where('quotes.id', 'in', ids)
    .where(articleIsVisible(viewer))
    .execute();
}

/** Quotes with, when asked, their speaking person or organization as JSON rows (`to_json`). */
function quotesWithSpeakers(db: Kysely<Database>, speakers: boolean) {
  return db
    .selectFrom('quotes')
    .select(QUOTE_COLUMNS)
    .$if(speakers, (query) =>
      query.select([
        sql<unknown>`(select to_json(people) from people where people.id = quotes.speaker_person_id)`.as(
          'speaker_person',
        ),
        sql<unknown>`(select to_json(organizations) from organizations
          where organizations.id = quotes.speaker_organization_id)`.as('speaker_organization'),
      ]),
    );
}

/**
 * Quotes of articles the caller already holds (so already visible), in body order; with `speakers`,
 * each with its speaking person or organization as a JSON row (`to_json`), so speakers cost no
 * statement of their own.
 */
export function listQuotesByArticleIds(
  db: Kysely<Database>,
  articleIds: readonly number[],
  { speakers }: { readonly speakers: boolean },
) {
  return quotesWithSpeakers(db, speakers)
    .where('article_id', 'in', articleIds)
    .orderBy('article_id')
    .orderBy('ordinal')
    .execute();
}

/**
 * The quotes of the outer query's `articles` row (visible: the outer query applied the rule) as one
 * JSON array in body order, rows as `listQuotesByArticleIds` gives them: the article's statement
 * brings them along (`src/modules/article-children.ts`).
 */
export function quotesOfArticleJson(db: Kysely<Database>, speakers: boolean) {
  const quotes = quotesWithSpeakers(db, speakers).where(
    'quotes.article_id',
    '=',
    sql.ref<number>('articles.id'),
  );
  return sql<unknown>`(select coalesce(json_agg(quote order by quote.ordinal), '[]') from (${quotes}) as quote)`;
}

function filteredQuotes(db: Kysely<Database>, viewer: Viewer, filter: QueryFilter) {
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
    // The stored document (migration 202612030201), indexed by `quotes_search_document_idx`.
    query = query.where(sql<SqlBool>`quotes.search_document @@ ${quoteQuery(filter.text)}`);
  }
  return query;
}

/** One page of quotes: newest article first, body order within an article. */
export function listQuotes(db: Kysely<Database>, viewer: Viewer, page: QuotePageQuery) {
  if (page.filter.text !== undefined) return searchQuotes(db, viewer, page, page.filter.text);
  return newestQuotesQuery(db, viewer, page, page.filter).execute();
}

function newestQuotesQuery(db: Kysely<Database>, viewer: Viewer, page: QuotePageQuery, filter: QueryFilter) {
  // The quote's own copy of its article's listing key (migration 202612020101): a speaker's quotes
  // come in this order straight from `quotes_speaker_person_listed_at_idx`, without a sort.
  let query = filteredQuotes(db, viewer, filter)
    .select(QUOTE_COLUMNS)
    .$if(page.articles === true, (q) => q.select(LISTED_ARTICLE_JSON.as('article')));
  if (page.after) {
    const [listedAt, articleId, ordinal] = page.after as readonly [Date, number, number];
    query = query.where(
      sql<SqlBool>`((quotes.listed_at, quotes.article_id) < (${listedAt}, ${articleId})
        or ((quotes.listed_at, quotes.article_id) = (${listedAt}, ${articleId}) and quotes.ordinal > ${ordinal}))`,
    );
  }
  return query
    .orderBy('quotes.listed_at', 'desc')
    .orderBy('quotes.article_id', 'desc')
    .orderBy('quotes.ordinal', 'asc')
    .limit(page.limit + 1);
}

/**
 * One page of a quote text search: best match first, ties broken by id, with highlights. Ranked
 * among the newest `candidates` matching quotes of visible articles (SEARCH_CANDIDATES, as article
 * search does), so a common word costs the same as a rare one. The candidates are taken in the
 * articles' listing order, newest visible article first and its quotes by id, so the walk can start
 * from `articles_listed_at_idx` and leave drafts and embargoes behind once per article rather than
 * per quote; each quote is tested against its stored document.
 */
async function searchQuotes(
  db: Kysely<Database>,
  viewer: Viewer,
  page: QuotePageQuery,
  text: string,
  candidates = SEARCH_CANDIDATES,
) {
  const newest = filteredQuotes(db, viewer, page.filter)
    .select(['quotes.id', 'quotes.search_document'])
    .orderBy('articles.listed_at', 'desc')
    .orderBy('articles.id', 'desc')
    .orderBy('quotes.id', 'desc')
    .limit(candidates);
  // Ranked once the candidates are chosen: only the bounded few pay for ts_rank.
  const rank = sql<number>`ts_rank(candidate.search_document, ${quoteQuery(text)})::float8`;
  const after = page.after
    ? sql`where (${rank}, candidate.id) < (${page.after[0]}::float8, ${page.after[1]})`
    : sql``;
  const hits = sql`select candidate.id, ${rank} as rank from (${newest}) as candidate ${after}
    order by rank desc, candidate.id desc limit ${page.limit + 1}`;
  const headline = (value: RawBuilder<unknown>) =>
    sql<string>`ts_headline(${config}, ${strip(value)}, ${quoteQuery(text)}, ${WHOLE_TEXT_HEADLINE})`;
  const columns = sql.join(QUOTE_COLUMNS.map((column) => sql.ref(column)));
  const { rows } = await sql<QuoteRow & { rank: number; text_html: string; context_html: string | null }>`
    select ${columns}, hits.rank,
      ${headline(sql`quotes.text`)} as text_html,
      case when quotes.context is not null then ${headline(sql`quotes.context`)} end as context_html
    from (${hits}) as hits join quotes on quotes.id = hits.id
    order by hits.rank desc, hits.id desc`.execute(db);
  return rows.map(({ rank: score, text_html, context_html, ...quote }) => ({
    ...quote,
    listed_at: new Date(quote.listed_at),
    search: { rank: Number(score), text: text_html, context: context_html },
  }));
}

export async function countQuotes(db: Kysely<Database>, viewer: Viewer, filter: QuoteListFilter) {
  const row = await countQuery(db, viewer, filter).executeTakeFirstOrThrow();
  return Number(row.count);
}

function countQuery(db: Kysely<Database>, viewer: Viewer, filter: QueryFilter) {
  return filteredQuotes(db, viewer, filter).select((eb) => eb.fn.countAll<number>().as('count'));
}

/**
 * One page of newest quotes for each parent speaker (`Person.quotes` of every person listed) in one
 * statement, as `listQuotes` runs it for one (`src/modules/parent-lists.ts`). Not for text searches.
 * Rows carry their `parent_id`.
 */
export async function listQuotesOfParents(
  db: Kysely<Database>,
  viewer: Viewer,
  page: QuotePageQuery,
  field: QuoteParentField,
  parentIds: readonly number[],
) {
  if (page.filter.text !== undefined) {
    throw new Error('listQuotesOfParents takes pages in newest order, got a text search');
  }
  const perParent = newestQuotesQuery(db, viewer, page, { ...page.filter, [field]: PARENT_ID });
  return listOfParents<QuoteRow & { readonly listed_at: Date; readonly article?: unknown }>(
    db,
    parentIds,
    perParent,
    sql`page.listed_at desc, page.article_id desc, page.ordinal asc`,
  );
}

/** `countQuotes` for each parent, in one statement; rows carry their `parent_id`. */
export function countQuotesOfParents(
  db: Kysely<Database>,
  viewer: Viewer,
  filter: QuoteListFilter,
  field: QuoteParentField,
  parentIds: readonly number[],
) {
  return countOfParents(db, parentIds, countQuery(db, viewer, { ...filter, [field]: PARENT_ID }));
}
