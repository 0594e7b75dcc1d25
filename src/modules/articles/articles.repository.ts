import { sql, type Expression, type Kysely, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { Viewer } from '../../shared/viewer.ts';
import { articleIsVisible } from '../../shared/visibility.ts';

/** Narrowing of an article list; ids come from a parent object, slugs from `ArticleFilter`. */
export interface ArticleListFilter {
  readonly sectionId?: number;
  readonly sectionSlug?: string;
  readonly tagId?: number;
  readonly tagSlug?: string;
  readonly authorId?: number;
  readonly mentionedPersonId?: number;
  readonly mentionedOrganizationId?: number;
  /** Articles that name, quote or are written by the person with this slug. */
  readonly personSlug?: string;
  readonly publishedAfter?: Date;
  readonly publishedBefore?: Date;
}

export type ArticleOrder = 'newest' | 'oldest';

export interface ArticlePageQuery {
  readonly filter: ArticleListFilter;
  readonly order: ArticleOrder;
  /** Rows wanted; one more is fetched to tell whether a next page exists. */
  readonly limit: number;
  /** Keyset position: the `listed_at` and id of the last row seen. */
  readonly after: readonly [Date, number] | undefined;
}

export function findArticlesByIds(db: Kysely<Database>, viewer: Viewer, ids: readonly number[]) {
  return db
    .selectFrom('articles')
    .selectAll()
    .where('id', 'in', ids)
    .where(articleIsVisible(viewer))
    .execute();
}

export function findArticlesBySlugs(db: Kysely<Database>, viewer: Viewer, slugs: readonly string[]) {
  return db
    .selectFrom('articles')
    .selectAll()
    .where('slug', 'in', slugs)
    .where(articleIsVisible(viewer))
    .execute();
}

export function findArticlesByUrls(db: Kysely<Database>, viewer: Viewer, urls: readonly string[]) {
  return db
    .selectFrom('articles')
    .selectAll()
    .where('url', 'in', urls)
    .where(articleIsVisible(viewer))
    .execute();
}

type LinkTable = 'article_tags' | 'article_authors' | 'article_mentions' | 'article_organizations';

/** `exists` a row linking the article to `value` in a join table. */
function linked(table: LinkTable, column: string, value: number | Expression<number>): Expression<SqlBool> {
  return sql<SqlBool>`exists (select 1 from ${sql.table(table)} as link where link.article_id = articles.id and ${sql.ref(`link.${column}`)} = ${value})`;
}

function filtered<O>(
  query: SelectQueryBuilder<Database, 'articles', O>,
  viewer: Viewer,
  filter: ArticleListFilter,
): SelectQueryBuilder<Database, 'articles', O> {
  let q = query.where(articleIsVisible(viewer));
  if (filter.sectionId !== undefined) q = q.where('articles.section_id', '=', filter.sectionId);
  if (filter.sectionSlug !== undefined) {
    q = q.where(
      sql<SqlBool>`articles.section_id = (select id from sections where slug = ${filter.sectionSlug})`,
    );
  }
  if (filter.tagId !== undefined) q = q.where(linked('article_tags', 'tag_id', filter.tagId));
  if (filter.tagSlug !== undefined) {
    q = q.where(
      linked('article_tags', 'tag_id', sql<number>`(select id from tags where slug = ${filter.tagSlug})`),
    );
  }
  if (filter.authorId !== undefined) q = q.where(linked('article_authors', 'person_id', filter.authorId));
  if (filter.mentionedPersonId !== undefined) {
    q = q.where(linked('article_mentions', 'person_id', filter.mentionedPersonId));
  }
  if (filter.mentionedOrganizationId !== undefined) {
    q = q.where(linked('article_organizations', 'organization_id', filter.mentionedOrganizationId));
  }
  if (filter.personSlug !== undefined) {
    const person = sql<number>`(select id from people where slug = ${filter.personSlug})`;
    q = q.where(
      sql<SqlBool>`(${linked('article_mentions', 'person_id', person)} or ${linked('article_authors', 'person_id', person)}
        or exists (select 1 from quotes where quotes.article_id = articles.id and quotes.speaker_person_id = ${person}))`,
    );
  }
  if (filter.publishedAfter !== undefined) q = q.where('articles.published_at', '>=', filter.publishedAfter);
  if (filter.publishedBefore !== undefined) q = q.where('articles.published_at', '<', filter.publishedBefore);
  return q;
}

/** One page of articles in `listed_at` order, ties broken by id. */
export function listArticles(db: Kysely<Database>, viewer: Viewer, page: ArticlePageQuery) {
  const direction = page.order === 'newest' ? 'desc' : 'asc';
  let query = filtered(db.selectFrom('articles').selectAll('articles'), viewer, page.filter);
  if (page.after) {
    const [listedAt, id] = page.after;
    query = query.where(
      page.order === 'newest'
        ? sql<SqlBool>`(articles.listed_at, articles.id) < (${listedAt}, ${id})`
        : sql<SqlBool>`(articles.listed_at, articles.id) > (${listedAt}, ${id})`,
    );
  }
  return query
    .orderBy('articles.listed_at', direction)
    .orderBy('articles.id', direction)
    .limit(page.limit + 1)
    .execute();
}

export async function countArticles(db: Kysely<Database>, viewer: Viewer, filter: ArticleListFilter) {
  const row = await filtered(
    db.selectFrom('articles').select((eb) => eb.fn.countAll<number>().as('count')),
    viewer,
    filter,
  ).executeTakeFirstOrThrow();
  return Number(row.count);
}
