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

/** The visibility rule and every narrowing of `filter`, on a query over `articles`. */
export function filteredArticles<O>(
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

type DrivingLink = { readonly table: LinkTable; readonly column: string; readonly value: number };

/**
 * A tag, author or mentioned person list is walked through its link table's
 * `(…, listed_at desc, article_id desc)` index (migration 202611270002) rather than filtered
 * article by article; the link row carries the article's `listed_at`, so order and cursors agree.
 */
function drivingLink(filter: ArticleListFilter): { link?: DrivingLink; rest: ArticleListFilter } {
  const { tagId, authorId, mentionedPersonId, ...others } = filter;
  const link: DrivingLink | undefined =
    tagId !== undefined
      ? { table: 'article_tags', column: 'tag_id', value: tagId }
      : authorId !== undefined
        ? { table: 'article_authors', column: 'person_id', value: authorId }
        : mentionedPersonId !== undefined
          ? { table: 'article_mentions', column: 'person_id', value: mentionedPersonId }
          : undefined;
  if (!link) return { rest: filter };
  // Whichever of the three is not driving stays a filter.
  const rest: ArticleListFilter = {
    ...others,
    ...(tagId !== undefined && link.table !== 'article_tags' && { tagId }),
    ...(authorId !== undefined && link.table !== 'article_authors' && { authorId }),
    ...(mentionedPersonId !== undefined && link.table !== 'article_mentions' && { mentionedPersonId }),
  };
  return { link, rest };
}

/** The query of one page of articles in `listed_at` order, ties broken by id (for EXPLAIN in tests). */
export function listArticlesQuery(db: Kysely<Database>, viewer: Viewer, page: ArticlePageQuery) {
  const direction = page.order === 'newest' ? 'desc' : 'asc';
  const { link, rest } = drivingLink(page.filter);
  let query = filteredArticles(db.selectFrom('articles').selectAll('articles'), viewer, rest);
  const listedAt = link ? sql.ref('link.listed_at') : sql.ref('articles.listed_at');
  const id = link ? sql.ref('link.article_id') : sql.ref('articles.id');
  if (link) {
    query = query.innerJoin(sql`${sql.table(link.table)}`.as('link'), (join) =>
      join.on(
        sql<SqlBool>`link.article_id = articles.id and ${sql.ref(`link.${link.column}`)} = ${link.value}`,
      ),
    );
  }
  if (page.after) {
    const [after, afterId] = page.after;
    query = query.where(
      page.order === 'newest'
        ? sql<SqlBool>`(${listedAt}, ${id}) < (${after}, ${afterId})`
        : sql<SqlBool>`(${listedAt}, ${id}) > (${after}, ${afterId})`,
    );
  }
  return query
    .orderBy(listedAt, direction)
    .orderBy(id, direction)
    .limit(page.limit + 1);
}

/** One page of articles in `listed_at` order, ties broken by id. */
export function listArticles(db: Kysely<Database>, viewer: Viewer, page: ArticlePageQuery) {
  return listArticlesQuery(db, viewer, page).execute();
}

export async function countArticles(db: Kysely<Database>, viewer: Viewer, filter: ArticleListFilter) {
  const row = await filteredArticles(
    db.selectFrom('articles').select((eb) => eb.fn.countAll<number>().as('count')),
    viewer,
    filter,
  ).executeTakeFirstOrThrow();
  return Number(row.count);
}
