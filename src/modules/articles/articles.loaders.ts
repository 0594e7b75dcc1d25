import type { StoredBlock } from '../../db/database.ts';
import type DataLoader from 'dataloader';
import { batchAcrossParents, manyInKeyOrder, oneInKeyOrder, type KeyParent } from '../../shared/batch.ts';
import { fromJsonRow } from '../../db/json-row.ts';
import { typed } from '../../shared/typename.ts';
import { cacheTags as tag } from '../../shared/cache-tags.ts';
import { createLoader, type LoaderScope } from '../create-loader.ts';
import type { ArticleParts } from './articles.mappers.ts';
import * as repository from './articles.repository.ts';
import type { ArticlePart, ArticleWith } from './articles.repository.ts';
import type { ArticleChildName } from '../article-children.ts';
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

export function createArticleLoaders({ db, viewer, hooks, loaders: primes, articleChildren }: LoaderScope) {
  // Rows with what a look-ahead asked for beside them: the parts and children primed, the rest returned.
  const received = <R extends object>(
    rows: readonly repository.BroughtRow<R>[],
    wanted?: ArticleWith,
  ): R[] => (wanted ? rows.map((row) => receive(row, wanted)) : (rows as R[]));
  const receive = <R extends object>(row: repository.BroughtRow<R>, wanted: ArticleWith): R => {
    const article: Record<string, unknown> = { ...row };
    const id = article.id as number;
    for (const part of wanted.parts) {
      const column = repository.broughtColumn(part);
      articleParts.prime({ articleId: id, part }, revive[part](article[column]));
      delete article[column];
    }
    for (const name of Object.keys(wanted.children) as ArticleChildName[]) {
      const column = repository.broughtColumn(name);
      if (column in article) {
        articleChildren[name]!.prime(primes, id, article[column], wanted.children[name]!);
        delete article[column];
      }
    }
    return article as R;
  };
  const bringing = (wanted: ArticleWith | undefined) => wanted && { with: wanted, children: articleChildren };

  const byIds = async (ids: readonly number[], wanted?: ArticleWith) =>
    oneInKeyOrder(
      ids,
      toParents(received(await repository.findArticlesByIds(db, viewer, ids, bringing(wanted)), wanted)),
      (row) => row.id,
    );
  const bySlugs = async (slugs: readonly string[], wanted?: ArticleWith) => {
    const rows = received(await repository.findArticlesBySlugs(db, viewer, slugs, bringing(wanted)), wanted);
    const found = rows.map(({ looked_up, ...row }) => ({
      lookedUp: looked_up,
      article: toParents([row])[0]!,
    }));
    prime(found.filter(({ lookedUp, article }) => lookedUp === article.slug).map(({ article }) => article));
    return oneInKeyOrder(slugs, found, (row) => row.lookedUp).map((row) => row?.article ?? null);
  };
  const byUrls = async (urls: readonly string[], wanted?: ArticleWith) =>
    oneInKeyOrder(
      urls,
      prime(
        toParents(received(await repository.findArticlesByUrls(db, viewer, urls, bringing(wanted)), wanted)),
      ),
      (row) => row.url!,
    );
  const articleById = createLoader<number, ArticleParent | null>('articleById', (ids) => byIds(ids), {
    hooks,
    tags: (id) => [tag.article(id)],
  });
  const prime = (rows: ArticleParent[]) => {
    for (const row of rows) articleById.prime(row.id, row);
    return rows;
  };
  const slugTags = (slug: string, row: ArticleParent | null) =>
    row ? [tag.articleSlug(slug), tag.article(row.id)] : [tag.articleSlug(slug)];
  const urlTags = (url: string, row: ArticleParent | null) =>
    row ? [tag.articleUrl(url), tag.article(row.id)] : [tag.articleUrl(url)];
  const articleBySlug = createLoader<string, ArticleParent | null>(
    'articleBySlug',
    (slugs) => bySlugs(slugs),
    {
      hooks,
      tags: slugTags,
    },
  );
  const articleByUrl = createLoader<string, ArticleParent | null>('articleByUrl', (urls) => byUrls(urls), {
    hooks,
    tags: urlTags,
  });
  // `Query.article`: the one article, with what its selection will read brought in the same statement.
  const articleLookup = createLoader<ArticleLookup, ArticleParent | null, string>(
    'articleLookup',
    async (keys) => {
      const wanted = unionOfWith(keys.map((key) => key.with));
      const values = async <V extends number | string>(
        by: ArticleLookup['by'],
        find: (values: readonly V[], wanted: ArticleWith) => Promise<(ArticleParent | null)[]>,
      ) => {
        const asked = [...new Set(keys.filter((key) => key.by === by).map((key) => key.value as V))];
        if (asked.length === 0) return new Map<V, ArticleParent | null>();
        const rows = await find(asked, wanted);
        return new Map(asked.map((value, index) => [value, rows[index]!]));
      };
      const [ids, slugs, urls] = await Promise.all([
        values<number>('id', byIds),
        values<string>('slug', bySlugs),
        values<string>('url', byUrls),
      ]);
      for (const [slug, row] of slugs) articleBySlug.prime(slug, row);
      for (const [url, row] of urls) articleByUrl.prime(url, row);
      for (const [id, row] of ids) articleById.prime(id, row);
      return keys.map((key) =>
        key.by === 'id'
          ? ids.get(key.value as number)!
          : (key.by === 'slug' ? slugs : urls).get(key.value as string)!,
      );
    },
    {
      hooks,
      cacheKeyFn: (key) => `${key.by}:${key.value}`,
      tags: (key, row) =>
        key.by === 'id'
          ? [tag.article(key.value as number)]
          : key.by === 'slug'
            ? slugTags(key.value as string, row)
            : urlTags(key.value as string, row),
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
      one: async (page) =>
        prime(
          toParents(received(await repository.listArticles(db, viewer, page, articleChildren), page.with)),
        ),
      many: async (page, field, ids) =>
        manyInKeyOrder(
          ids,
          await repository.listArticlesOfParents(db, viewer, page, field, ids, articleChildren),
          (row) => row.parent_id,
        ).map((rows) =>
          prime(toParents(received(rows, page.with).map(({ parent_id: _parentId, ...article }) => article))),
        ),
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
    articleLookup,
    articlePage,
    articleCount,
    articleParts,
    articleBodyById,
  };
}

/** `Query.article`'s one article, by id, slug or URL, with what its selection reads (`ArticleWith`). */
export interface ArticleLookup {
  readonly by: 'id' | 'slug' | 'url';
  readonly value: number | string;
  readonly with: ArticleWith;
}

/** Everything any of `withs` asks for: one statement serves every key of a batch. */
function unionOfWith(withs: readonly ArticleWith[]): ArticleWith {
  const parts = new Set<ArticlePart>();
  const children: { [N in ArticleChildName]?: boolean } = {};
  for (const wanted of withs) {
    for (const part of wanted.parts) parts.add(part);
    for (const name of Object.keys(wanted.children) as ArticleChildName[]) {
      children[name] = (children[name] ?? false) || wanted.children[name]!;
    }
  }
  return { parts: [...parts], children };
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
