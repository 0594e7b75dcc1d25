import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { manyInKeyOrder } from '../../shared/batch.ts';
import type { Viewer } from '../../shared/viewer.ts';
import type { ArticleListFilter } from '../articles/articles.repository.ts';
import * as repository from './search.repository.ts';

interface CountKey {
  readonly text: string;
  readonly filter: ArticleListFilter;
}

interface ListKey {
  readonly id: number;
  readonly limit: number;
}

/**
 * A batch function for per-parent lists: one statement per distinct `limit` in the batch (usually
 * one), its rows then handed back in key order.
 */
function listsByParent<R extends { readonly source_id: number }>(
  fetch: (ids: readonly number[], limit: number) => Promise<R[]>,
) {
  return async (keys: readonly ListKey[]): Promise<R[][]> => {
    const byLimit = new Map<number, number[]>();
    for (const key of keys) byLimit.set(key.limit, [...(byLimit.get(key.limit) ?? []), key.id]);
    const results = new Map<string, R[]>();
    await Promise.all(
      [...byLimit].map(async ([limit, ids]) => {
        for (const [index, rows] of manyInKeyOrder(
          ids,
          await fetch(ids, limit),
          (row) => row.source_id,
        ).entries()) {
          results.set(JSON.stringify({ id: ids[index], limit }), rows);
        }
      }),
    );
    return keys.map((key) => results.get(JSON.stringify({ id: key.id, limit: key.limit })) ?? []);
  };
}

/**
 * Searches run one query per distinct search; per-parent lists (related articles, quoted with, topics)
 * are batched across parents into one statement per distinct `first`.
 */
export function createSearchLoaders(db: Kysely<Database>, viewer: Viewer) {
  const byKey = { cacheKeyFn: (key: unknown) => JSON.stringify(key) };
  const searchPage = new DataLoader<repository.SearchPageQuery, repository.SearchRow[], string>(
    (pages) => Promise.all(pages.map((page) => repository.searchArticles(db, viewer, page))),
    byKey,
  );
  const searchTotal = new DataLoader<CountKey, { count: number; estimate: boolean }, string>(
    (keys) => Promise.all(keys.map((key) => repository.countSearchMatches(db, viewer, key.text, key.filter))),
    byKey,
  );
  const relatedArticles = new DataLoader<ListKey, repository.RelatedRow[], string>(
    listsByParent((ids, limit) => repository.findRelatedArticles(db, viewer, ids, limit)),
    byKey,
  );
  const quotedWith = new DataLoader<ListKey, repository.QuotedWithRow[], string>(
    listsByParent((ids, limit) => repository.listQuotedWith(db, viewer, ids, limit)),
    byKey,
  );
  const personTopics = new DataLoader<ListKey, repository.PersonTopicRow[], string>(
    listsByParent((ids, limit) => repository.listPersonTopics(db, viewer, ids, limit)),
    byKey,
  );
  const queryTermCount = new DataLoader<string, number>((texts) =>
    Promise.all(texts.map((text) => repository.countQueryTerms(db, text))),
  );
  return { queryTermCount, searchPage, searchTotal, relatedArticles, quotedWith, personTopics };
}
