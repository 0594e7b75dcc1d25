import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { manyInKeyOrder, oneInKeyOrder } from '../../shared/batch.ts';
import { typed } from '../../shared/typename.ts';
import type { Viewer } from '../../shared/viewer.ts';
import type { QuoteParent } from './quotes.mappers.ts';
import * as repository from './quotes.repository.ts';

export function createQuoteLoaders(db: Kysely<Database>, viewer: Viewer) {
  const quoteById = new DataLoader<number, QuoteParent | null>(async (ids) =>
    oneInKeyOrder(
      ids,
      (await repository.findQuotesByIds(db, viewer, ids)).map((row) => typed('Quote', row)),
      (row) => row.id,
    ),
  );
  const quotesByArticle = new DataLoader<number, QuoteParent[]>(async (articleIds) => {
    const rows = (await repository.listQuotesByArticleIds(db, articleIds)).map((row) => typed('Quote', row));
    for (const row of rows) quoteById.prime(row.id, row);
    return manyInKeyOrder(articleIds, rows, (row) => row.article_id);
  });
  // Pages are not batched across parents (each is its own keyset query) but identical ones are shared.
  const quotePage = new DataLoader<repository.QuotePageQuery, QuoteParent[], string>(
    (pages) =>
      Promise.all(
        pages.map(async (page) =>
          (await repository.listQuotes(db, viewer, page)).map((row) => typed('Quote', row)),
        ),
      ),
    { cacheKeyFn: (page) => JSON.stringify(page) },
  );
  const quoteCount = new DataLoader<repository.QuoteListFilter, number, string>(
    (filters) => Promise.all(filters.map((filter) => repository.countQuotes(db, viewer, filter))),
    { cacheKeyFn: (filter) => JSON.stringify(filter) },
  );
  return { quoteById, quotesByArticle, quotePage, quoteCount };
}
