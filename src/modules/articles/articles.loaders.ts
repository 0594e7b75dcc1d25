import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { oneInKeyOrder } from '../../shared/batch.ts';
import { typed } from '../../shared/typename.ts';
import type { Viewer } from '../../shared/viewer.ts';
import type { ArticleParent } from './articles.mappers.ts';
import * as repository from './articles.repository.ts';

export function createArticleLoaders(db: Kysely<Database>, viewer: Viewer) {
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
  // Pages are not batched across parents (each is its own keyset query) but identical ones are shared.
  const articlePage = new DataLoader<repository.ArticlePageQuery, ArticleParent[], string>(
    (pages) =>
      Promise.all(
        pages.map(async (page) => prime(toParents(await repository.listArticles(db, viewer, page)))),
      ),
    { cacheKeyFn: (page) => JSON.stringify(page) },
  );
  const articleCount = new DataLoader<repository.ArticleListFilter, number, string>(
    (filters) => Promise.all(filters.map((filter) => repository.countArticles(db, viewer, filter))),
    { cacheKeyFn: (filter) => JSON.stringify(filter) },
  );
  return { articleById, articleBySlug, articleByUrl, articlePage, articleCount };
}

function toParents(rows: Awaited<ReturnType<typeof repository.findArticlesByIds>>): ArticleParent[] {
  return rows.map((row) => typed('Article', row));
}
