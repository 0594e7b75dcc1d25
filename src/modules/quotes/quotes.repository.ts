import { sql, type Kysely, type SqlBool } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { Viewer } from '../../shared/viewer.ts';
import { articleIsVisible } from '../../shared/visibility.ts';

export interface QuoteListFilter {
  /** Slug of the person or organization who said it. */
  readonly speakerSlug?: string;
  readonly speakerPersonId?: number;
  readonly speakerOrganizationId?: number;
  readonly articleSlug?: string;
}

export interface QuotePageQuery {
  readonly filter: QuoteListFilter;
  readonly limit: number;
  /** Keyset position: the article's `listed_at` and id, and the quote's ordinal. */
  readonly after: readonly [Date, number, number] | undefined;
}

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
  return query;
}

/** One page of quotes: newest article first, body order within an article. */
export function listQuotes(db: Kysely<Database>, viewer: Viewer, page: QuotePageQuery) {
  let query = filteredQuotes(db, viewer, page.filter).selectAll('quotes').select('articles.listed_at');
  if (page.after) {
    const [listedAt, articleId, ordinal] = page.after;
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

export async function countQuotes(db: Kysely<Database>, viewer: Viewer, filter: QuoteListFilter) {
  const row = await filteredQuotes(db, viewer, filter)
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
