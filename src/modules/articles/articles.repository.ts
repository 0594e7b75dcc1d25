import {
  sql,
  type Expression,
  type Kysely,
  type RawBuilder,
  type SelectQueryBuilder,
  type SqlBool,
} from 'kysely';
import type { ArticleRow, Database } from '../../db/database.ts';
import type { ArticleParts } from './articles.mappers.ts';
import type { ArticleParent } from '../parents.ts';
import { typed } from '../../shared/typename.ts';
import type { Viewer } from '../../shared/viewer.ts';
import { countOfParents, listOfParents, PARENT_ID } from '../parent-lists.ts';
import { articleIsVisible } from './visibility.ts';

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
  /** Articles whose `updated_at` is at or after this instant (a consumer's incremental sync). */
  readonly updatedAfter?: Date;
}

/** Filter fields that name a parent object: pages that differ only by one of them run as one statement. */
export const ARTICLE_PARENT_FIELDS = [
  'sectionId',
  'tagId',
  'authorId',
  'mentionedPersonId',
  'mentionedOrganizationId',
] as const;
export type ArticleParentField = (typeof ARTICLE_PARENT_FIELDS)[number];

/** A filter as queries apply it: a parent id may also be the `parent.id` column of a batch of parents. */
type QueryFilter = Omit<ArticleListFilter, ArticleParentField> & {
  readonly [F in ArticleParentField]?: number | Expression<number>;
};

/** `newest`/`oldest`: by `listed_at`; `updated`: most recently updated first (`updated_at`). */
export type ArticleOrder = 'newest' | 'oldest' | 'updated';

export interface ArticlePageQuery {
  readonly filter: ArticleListFilter;
  readonly order: ArticleOrder;
  /** Rows wanted; one more is fetched to tell whether a next page exists. */
  readonly limit: number;
  /** Keyset position: the sort key (`listed_at`, or `updated_at` for `updated`) and id of the last row seen. */
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

/**
 * Articles by slug, an old slug (a redirect after a slug change) finding the article it now names;
 * each row carries the slug it was `looked_up` by.
 */
export function findArticlesBySlugs(db: Kysely<Database>, viewer: Viewer, slugs: readonly string[]) {
  return db
    .selectFrom('articles')
    .selectAll('articles')
    .select('articles.slug as looked_up')
    .where('articles.slug', 'in', slugs)
    .where(articleIsVisible(viewer))
    .unionAll(
      db
        .selectFrom('article_slug_redirects as redirect')
        .innerJoin('articles', 'articles.id', 'redirect.article_id')
        .selectAll('articles')
        .select('redirect.slug as looked_up')
        .where('redirect.slug', 'in', slugs)
        .where(articleIsVisible(viewer)),
    )
    .execute();
}

/** One article whatever its state (drafts, taken down): for editors, after a write. */
export async function findArticleForEditors(db: Kysely<Database>, id: number): Promise<ArticleParent> {
  const row = await db.selectFrom('articles').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  return typed('Article', row);
}

export function findArticlesByUrls(db: Kysely<Database>, viewer: Viewer, urls: readonly string[]) {
  return db
    .selectFrom('articles')
    .selectAll()
    .where('url', 'in', urls)
    .where(articleIsVisible(viewer))
    .execute();
}

/** A relation of an article that `findArticleParts` brings as JSON rows. */
export type ArticlePart = keyof ArticleParts;

/** Each part as a `to_json` subquery of the outer `articles` row; lists keep the article's order. */
const PART_SUBQUERIES: Record<ArticlePart, RawBuilder<unknown>> = {
  section: sql`(select to_json(sections) from sections where sections.id = articles.section_id)`,
  tags: sql`(select coalesce(json_agg(tags order by article_tags.position), '[]')
    from article_tags join tags on tags.id = article_tags.tag_id
    where article_tags.article_id = articles.id)`,
  leadImage: sql`(select to_json(images) from images where images.id = articles.lead_image_id)`,
  authors: sql`(select coalesce(json_agg(people order by article_authors.position), '[]')
    from article_authors join people on people.id = article_authors.person_id
    where article_authors.article_id = articles.id)`,
  bodyImages: sql`(select coalesce(json_agg(images), '[]') from images
    where images.id in (select (block ->> 'image')::integer
      from jsonb_array_elements(articles.body) as block where block ->> 'type' = 'image'))`,
};

/** An article's id with the parts asked for, each still JSON (absent when not asked for). */
export type ArticlePartsRow = { readonly id: number } & { readonly [P in ArticlePart]?: unknown };

/**
 * The given parts of each visible article, in one statement for a whole batch of articles rather
 * than one per relation; only the parts asked for are computed.
 */
export function findArticleParts(
  db: Kysely<Database>,
  viewer: Viewer,
  ids: readonly number[],
  parts: readonly ArticlePart[],
): Promise<ArticlePartsRow[]> {
  return db
    .selectFrom('articles')
    .select('articles.id')
    .select(parts.map((part) => PART_SUBQUERIES[part].as(part)))
    .where('articles.id', 'in', ids)
    .where(articleIsVisible(viewer))
    .$castTo<ArticlePartsRow>()
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
  filter: QueryFilter,
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
  if (filter.updatedAfter !== undefined) q = q.where('articles.updated_at', '>=', filter.updatedAfter);
  return q;
}

type DrivingLink = {
  readonly table: LinkTable;
  readonly column: string;
  readonly value: number | Expression<number>;
};

/**
 * A tag, author or mentioned person list is walked through its link table's
 * `(…, listed_at desc, article_id desc)` index (migration 202611270002) rather than filtered
 * article by article; the link row carries the article's `listed_at`, so order and cursors agree.
 */
function drivingLink(filter: QueryFilter): { link?: DrivingLink; rest: QueryFilter } {
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
  const rest: QueryFilter = {
    ...others,
    ...(tagId !== undefined && link.table !== 'article_tags' && { tagId }),
    ...(authorId !== undefined && link.table !== 'article_authors' && { authorId }),
    ...(mentionedPersonId !== undefined && link.table !== 'article_mentions' && { mentionedPersonId }),
  };
  return { link, rest };
}

/**
 * Every column but `body`: a list of 20 teasers would otherwise carry ~90 KB of body JSON that teasers
 * never show (bench: section front). `Article.body` loads it on demand (`findArticleBodies`).
 */
const LISTED_COLUMNS = [
  'articles.id',
  'articles.slug',
  'articles.url',
  'articles.headline',
  'articles.standfirst',
  'articles.section_id',
  'articles.status',
  'articles.published_at',
  'articles.updated_at',
  'articles.created_at',
  'articles.language',
  'articles.lead_image_id',
  'articles.word_count',
  'articles.content_hash',
  'articles.listed_at',
  'articles.source_id',
  'articles.revision',
  'articles.corrections',
  'articles.taken_down_at',
  'articles.takedown_reason',
  'articles.taken_down_by',
  'articles.preview_epoch',
] as const;

/** The bodies of articles the caller already holds rows of (lists leave bodies out). */
export function findArticleBodies(db: Kysely<Database>, viewer: Viewer, ids: readonly number[]) {
  return db
    .selectFrom('articles')
    .select(['id', 'body'])
    .where('id', 'in', ids)
    .where(articleIsVisible(viewer))
    .execute();
}

/** The query of one page of articles in `listed_at` order, ties broken by id (for EXPLAIN in tests). */
export function listArticlesQuery(db: Kysely<Database>, viewer: Viewer, page: ArticlePageQuery) {
  return pageQuery(db, viewer, page, page.filter);
}

function pageQuery(db: Kysely<Database>, viewer: Viewer, page: ArticlePageQuery, filter: QueryFilter) {
  const direction = page.order === 'oldest' ? 'asc' : 'desc';
  // The link tables carry `listed_at`, not `updated_at`: by update, the articles index leads instead.
  const { link, rest } = page.order === 'updated' ? { link: undefined, rest: filter } : drivingLink(filter);
  let query = filteredArticles(db.selectFrom('articles').select(LISTED_COLUMNS), viewer, rest);
  const listedAt =
    page.order === 'updated'
      ? sql.ref('articles.updated_at')
      : link
        ? sql.ref('link.listed_at')
        : sql.ref('articles.listed_at');
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
      direction === 'desc'
        ? sql<SqlBool>`(${listedAt}, ${id}) < (${after}, ${afterId})`
        : sql<SqlBool>`(${listedAt}, ${id}) > (${after}, ${afterId})`,
    );
  }
  return query
    .orderBy(listedAt, direction)
    .orderBy(id, direction)
    .limit(page.limit + 1);
}

/** One page of articles in `listed_at` (or `updated_at`) order, ties broken by id. */
export function listArticles(db: Kysely<Database>, viewer: Viewer, page: ArticlePageQuery) {
  return listArticlesQuery(db, viewer, page).execute();
}

export async function countArticles(db: Kysely<Database>, viewer: Viewer, filter: ArticleListFilter) {
  const row = await countQuery(db, viewer, filter).executeTakeFirstOrThrow();
  return Number(row.count);
}

function countQuery(db: Kysely<Database>, viewer: Viewer, filter: QueryFilter) {
  return filteredArticles(
    db.selectFrom('articles').select((eb) => eb.fn.countAll<number>().as('count')),
    viewer,
    filter,
  );
}

/**
 * One page for each parent (`Section.articles` of every section listed) in one statement, as
 * `listArticles` runs it for one (`src/modules/parent-lists.ts`). Rows carry their `parent_id`.
 */
export function listArticlesOfParents(
  db: Kysely<Database>,
  viewer: Viewer,
  page: ArticlePageQuery,
  field: ArticleParentField,
  parentIds: readonly number[],
) {
  const perParent = pageQuery(db, viewer, page, { ...page.filter, [field]: PARENT_ID });
  // A link table's listed_at and article_id equal the article's, so this is the inner order too.
  const direction = sql.raw(page.order === 'oldest' ? 'asc' : 'desc');
  const key = sql.raw(page.order === 'updated' ? 'page.updated_at' : 'page.listed_at');
  return listOfParents<Omit<ArticleRow, 'body'>>(
    db,
    parentIds,
    perParent,
    sql`${key} ${direction}, page.id ${direction}`,
  );
}

/** `countArticles` for each parent, in one statement; rows carry their `parent_id`. */
export function countArticlesOfParents(
  db: Kysely<Database>,
  viewer: Viewer,
  filter: ArticleListFilter,
  field: ArticleParentField,
  parentIds: readonly number[],
) {
  return countOfParents(db, parentIds, countQuery(db, viewer, { ...filter, [field]: PARENT_ID }));
}

/** What a preview link is checked against: the article's slug, preview epoch and takedown; undefined when gone. */
export function findArticlePreviewState(db: Kysely<Database>, id: number) {
  return db
    .selectFrom('articles')
    .select(['id', 'slug', 'preview_epoch', 'taken_down_at'])
    .where('id', '=', id)
    .executeTakeFirst();
}
