import type { StoredBlock } from '../../db/database.ts';
import type DataLoader from 'dataloader';
import { batchAcrossParents, manyInKeyOrder, oneInKeyOrder, type KeyParent } from '../../shared/batch.ts';
import { fromJsonRow } from '../../db/json-row.ts';
import { typed } from '../../shared/typename.ts';
import { cacheTags as tag } from '../../shared/cache-tags.ts';
import { createLoader, type LoaderScope } from '../create-loader.ts';
import type { ArticleParts } from './articles.mappers.ts';
import * as repository from './articles.repository.ts';
import type { ArticlePart } from './articles.repository.ts';
import type { ArticleParent, ImageParent, PersonParent, SectionParent } from '../parents.ts';

/** Loaders of other modules that an article's parts fill, so later lookups of the same rows are free. */
export interface ArticlePartsPrimes {
  readonly sectionById: DataLoader<number, SectionParent | null>;
  readonly imageById: DataLoader<number, ImageParent | null>;
  readonly personById: DataLoader<number, PersonParent | null>;
}

declare module '../loader-types.ts' {
  interface Loaders extends ArticleLoaders {}
}

export type ArticleLoaders = ReturnType<typeof createArticleLoaders>;

export function createArticleLoaders({ db, viewer, hooks, loaders: primes }: LoaderScope) {
  const articleById = createLoader<number, ArticleParent | null>(
    'articleById',
    async (ids) =>
      oneInKeyOrder(ids, toParents(await repository.findArticlesByIds(db, viewer, ids)), (row) => row.id),
    { hooks, tags: (id) => [tag.article(id)] },
  );
  const prime = (rows: ArticleParent[]) => {
    for (const row of rows) articleById.prime(row.id, row);
    return rows;
  };
  const articleBySlug = createLoader<string, ArticleParent | null>(
    'articleBySlug',
    async (slugs) => {
      const rows = await repository.findArticlesBySlugs(db, viewer, slugs);
      const found = rows.map(({ looked_up, ...row }) => ({
        lookedUp: looked_up,
        article: toParents([row])[0]!,
      }));
      prime(found.filter(({ lookedUp, article }) => lookedUp === article.slug).map(({ article }) => article));
      return oneInKeyOrder(slugs, found, (row) => row.lookedUp).map((row) => row?.article ?? null);
    },
    {
      hooks,
      tags: (slug, row) => (row ? [tag.articleSlug(slug), tag.article(row.id)] : [tag.articleSlug(slug)]),
    },
  );
  const articleByUrl = createLoader<string, ArticleParent | null>(
    'articleByUrl',
    async (urls) =>
      oneInKeyOrder(
        urls,
        prime(toParents(await repository.findArticlesByUrls(db, viewer, urls))),
        (row) => row.url!,
      ),
    {
      hooks,
      tags: (url, row) => (row ? [tag.articleUrl(url), tag.article(row.id)] : [tag.articleUrl(url)]),
    },
  );
  // Pages that differ only by their parent (a list of sections, each with its articles) run as one
  // statement; identical pages are shared.
  const articlePage = createLoader<repository.ArticlePageQuery, ArticleParent[], string>(
    'articlePage',
    batchAcrossParents({
      parentOf: (page) => {
        const parent = parentOf(page.filter);
        return parent && { ...parent, rest: { ...page, filter: parent.rest } };
      },
      one: async (page) => prime(toParents(await repository.listArticles(db, viewer, page))),
      many: async (page, field, ids) =>
        manyInKeyOrder(
          ids,
          await repository.listArticlesOfParents(db, viewer, page, field, ids),
          (row) => row.parent_id,
        ).map((rows) => prime(toParents(rows.map(({ parent_id: _parentId, ...article }) => article)))),
    }),
    {
      hooks,
      cacheKeyFn: (page) => JSON.stringify(page),
      tags: (page, rows) => [articleListTag(page.filter), ...rows.map((row) => tag.article(row.id))],
    },
  );
  const articleCount = createLoader<repository.ArticleListFilter, number, string>(
    'articleCount',
    batchAcrossParents({
      parentOf,
      one: (filter) => repository.countArticles(db, viewer, filter),
      many: async (filter, field, ids) =>
        oneInKeyOrder(
          ids,
          await repository.countArticlesOfParents(db, viewer, filter, field, ids),
          (row) => row.parent_id,
        ).map((row) => row?.count ?? 0),
    }),
    { hooks, cacheKeyFn: (filter) => JSON.stringify(filter), tags: (filter) => [articleListTag(filter)] },
  );
  const revive = partRevivers(primes);
  const partKey = (key: ArticlePartKey) => `${key.articleId}:${key.part}`;
  // One statement per batch, computing only the parts some key of the batch asks for.
  const articleParts: DataLoader<ArticlePartKey, ArticleParts[ArticlePart], string> = createLoader(
    'articleParts',
    async (keys) => {
      const ids = [...new Set(keys.map((key) => key.articleId))];
      const parts = [...new Set(keys.map((key) => key.part))];
      const values = new Map<string, ArticleParts[ArticlePart]>();
      for (const row of await repository.findArticleParts(db, viewer, ids, parts)) {
        for (const part of parts) {
          const key = { articleId: row.id, part };
          const value = revive[part](row[part]);
          values.set(partKey(key), value);
          // Parts fetched for an article that did not ask for them serve a later ask (no-op for these keys).
          articleParts.prime(key, value);
        }
      }
      return keys.map((key) =>
        values.has(partKey(key))
          ? values.get(partKey(key))!
          : // Article parents are only ever rows the viewer may see; a miss means that broke.
            new Error(
              `Expected article ${key.articleId} to be visible to this viewer, found no such article`,
            ),
      );
    },
    { hooks, cacheKeyFn: partKey, tags: articlePartTags },
  );
  const articleBodyById = createLoader<number, StoredBlock[]>(
    'articleBodyById',
    async (ids) =>
      oneInKeyOrder(ids, await repository.findArticleBodies(db, viewer, ids), (row) => row.id).map(
        (row, index) =>
          row?.body ??
          // Article parents are only ever rows the viewer may see; a miss means that broke.
          new Error(`Expected article ${ids[index]!} to be visible to this viewer, found no such article`),
      ),
    { hooks, tags: (id) => [tag.article(id)] },
  );
  return {
    articleById,
    articleBySlug,
    articleByUrl,
    articlePage,
    articleCount,
    articleParts,
    articleBodyById,
  };
}

/** One part of one article: the key of the `articleParts` loader. */
export interface ArticlePartKey {
  readonly articleId: number;
  readonly part: ArticlePart;
}

/**
 * One tag naming the list's membership. Any one narrowing is enough: an article can only enter or
 * leave the list if it had or has that section, tag, person or organization, and ingest announces
 * all of those, before and after. A list narrowed only by dates depends on every article.
 */
function articleListTag(filter: repository.ArticleListFilter): string {
  if (filter.tagId !== undefined) return tag.articlesOf('tag', filter.tagId);
  if (filter.tagSlug !== undefined) return tag.articlesOfSlug('tag', filter.tagSlug);
  if (filter.authorId !== undefined) return tag.articlesOf('person', filter.authorId);
  if (filter.mentionedPersonId !== undefined) return tag.articlesOf('person', filter.mentionedPersonId);
  if (filter.mentionedOrganizationId !== undefined) {
    return tag.articlesOf('organization', filter.mentionedOrganizationId);
  }
  if (filter.personSlug !== undefined) return tag.articlesOfSlug('person', filter.personSlug);
  if (filter.sectionId !== undefined) return tag.articlesOf('section', filter.sectionId);
  if (filter.sectionSlug !== undefined) return tag.articlesOfSlug('section', filter.sectionSlug);
  return tag.allArticles;
}

const PART_TERMS = { section: 'section', tags: 'tag', authors: 'person' } as const;

/** A part is part of its article, and names the terms or images it shows. */
function articlePartTags(
  { articleId, part }: ArticlePartKey,
  value: ArticleParts[ArticlePart],
): readonly string[] {
  const rows: readonly { readonly id: number }[] =
    value === null ? [] : Array.isArray(value) ? value : [value];
  const named =
    part === 'leadImage' || part === 'bodyImages'
      ? rows.map((row) => tag.image(row.id))
      : rows.map((row) => tag.term(PART_TERMS[part], row.id));
  return [tag.article(articleId), ...named];
}

/** Each part's JSON as the row types the plain loaders return, priming those loaders on the way. */
function partRevivers(primes: ArticlePartsPrimes): {
  [P in ArticlePart]: (json: unknown) => ArticleParts[P];
} {
  const image = (json: unknown) => {
    const row = fromJsonRow('images', json);
    primes.imageById.prime(row.id, row);
    return row;
  };
  const list = (json: unknown) => json as unknown[];
  return {
    section: (json) => {
      const section = typed('Section', fromJsonRow('sections', json));
      primes.sectionById.prime(section.id, section);
      return section;
    },
    tags: (json) => list(json).map((tag) => typed('Tag', fromJsonRow('tags', tag))),
    leadImage: (json) => (json === null ? null : image(json)),
    authors: (json) =>
      list(json).map((person) => {
        const author = typed('Person', fromJsonRow('people', person));
        primes.personById.prime(author.id, author);
        return author;
      }),
    bodyImages: (json) => list(json).map(image),
  };
}

/** The first parent id a filter names, and the filter without it. */
function parentOf(
  filter: repository.ArticleListFilter,
): KeyParent<repository.ArticleListFilter, repository.ArticleParentField> | undefined {
  const field = repository.ARTICLE_PARENT_FIELDS.find((name) => filter[name] !== undefined);
  if (field === undefined) return undefined;
  const { [field]: id, ...rest } = filter;
  return { field, id: id!, rest };
}

function toParents(rows: readonly Omit<ArticleParent, '__typename'>[]): ArticleParent[] {
  return rows.map((row) => typed('Article', row));
}
