import type { StoredBlock } from '../../db/database.ts';
import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { batchAcrossParents, manyInKeyOrder, oneInKeyOrder, type KeyParent } from '../../shared/batch.ts';
import { fromJsonRow } from '../../db/json-row.ts';
import { typed } from '../../shared/typename.ts';
import type { Viewer } from '../../shared/viewer.ts';
import type { ImageParent } from '../images/images.mappers.ts';
import type { PersonParent } from '../people/people.mappers.ts';
import type { SectionParent } from '../taxonomy/taxonomy.mappers.ts';
import type { ArticleParent, ArticleParts } from './articles.mappers.ts';
import * as repository from './articles.repository.ts';
import type { ArticlePart } from './articles.repository.ts';

/** Loaders of other modules that an article's parts fill, so later lookups of the same rows are free. */
export interface ArticlePartsPrimes {
  readonly sectionById: DataLoader<number, SectionParent | null>;
  readonly imageById: DataLoader<number, ImageParent | null>;
  readonly personById: DataLoader<number, PersonParent | null>;
}

export function createArticleLoaders(db: Kysely<Database>, viewer: Viewer, primes: ArticlePartsPrimes) {
  const articleById = new DataLoader<number, ArticleParent | null>(async (ids) =>
    oneInKeyOrder(ids, toParents(await repository.findArticlesByIds(db, viewer, ids)), (row) => row.id),
  );
  const prime = (rows: ArticleParent[]) => {
    for (const row of rows) articleById.prime(row.id, row);
    return rows;
  };
  const articleBySlug = new DataLoader<string, ArticleParent | null>(async (slugs) =>
    oneInKeyOrder(
      slugs,
      prime(toParents(await repository.findArticlesBySlugs(db, viewer, slugs))),
      (row) => row.slug,
    ),
  );
  const articleByUrl = new DataLoader<string, ArticleParent | null>(async (urls) =>
    oneInKeyOrder(
      urls,
      prime(toParents(await repository.findArticlesByUrls(db, viewer, urls))),
      (row) => row.url!,
    ),
  );
  // Pages that differ only by their parent (a list of sections, each with its articles) run as one
  // statement; identical pages are shared.
  const articlePage = new DataLoader<repository.ArticlePageQuery, ArticleParent[], string>(
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
    { cacheKeyFn: (page) => JSON.stringify(page) },
  );
  const articleCount = new DataLoader<repository.ArticleListFilter, number, string>(
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
    { cacheKeyFn: (filter) => JSON.stringify(filter) },
  );
  const revive = partRevivers(primes);
  const partKey = (key: ArticlePartKey) => `${key.articleId}:${key.part}`;
  // One statement per batch, computing only the parts some key of the batch asks for.
  const articleParts = new DataLoader<ArticlePartKey, ArticleParts[ArticlePart], string>(
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
    { cacheKeyFn: partKey },
  );
  const articleBodyById = new DataLoader<number, StoredBlock[]>(async (ids) =>
    oneInKeyOrder(ids, await repository.findArticleBodies(db, viewer, ids), (row) => row.id).map(
      (row, index) =>
        row?.body ??
        // Article parents are only ever rows the viewer may see; a miss means that broke.
        new Error(`Expected article ${ids[index]!} to be visible to this viewer, found no such article`),
    ),
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
