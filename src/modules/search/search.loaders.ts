import { manyInKeyOrder } from '../../shared/batch.ts';
import type { ArticleListFilter } from '../articles/index.ts';
import * as repository from './search.repository.ts';
import { cacheTags as tag } from '../../shared/cache-tags.ts';
import { createLoader, type LoaderScope } from '../create-loader.ts';

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

// Search, related stories and co-quoted speakers rank across every visible article.
const everyArticle = (): readonly string[] => [tag.allArticles];

declare module '../loader-types.ts' {
  interface Loaders extends SearchLoaders {}
}

export type SearchLoaders = ReturnType<typeof createSearchLoaders>;

/**
 * Searches run one query per distinct search; per-parent lists (related articles, quoted with, topics)
 * are batched across parents into one statement per distinct `first`.
 */
export function createSearchLoaders({ db, viewer, hooks }: LoaderScope) {
  const byKey = { cacheKeyFn: (key: unknown) => JSON.stringify(key) };
  const searchPage = createLoader<repository.SearchPageQuery, repository.SearchRow[], string>(
    'searchPage',
    (pages) => Promise.all(pages.map((page) => repository.searchArticles(db, viewer, page))),
    { ...byKey, hooks, tags: everyArticle },
  );
  const searchTotal = createLoader<CountKey, { count: number; estimate: boolean }, string>(
    'searchTotal',
    (keys) => Promise.all(keys.map((key) => repository.countSearchMatches(db, viewer, key.text, key.filter))),
    { ...byKey, hooks, tags: everyArticle },
  );
  const relatedArticles = createLoader<ListKey, repository.RelatedRow[], string>(
    'relatedArticles',
    listsByParent((ids, limit) => repository.findRelatedArticles(db, viewer, ids, limit)),
    { ...byKey, hooks, tags: everyArticle },
  );
  const quotedWith = createLoader<ListKey, repository.QuotedWithRow[], string>(
    'quotedWith',
    listsByParent((ids, limit) => repository.listQuotedWith(db, viewer, ids, limit)),
    { ...byKey, hooks, tags: everyArticle },
  );
  const personTopics = createLoader<ListKey, repository.PersonTopicRow[], string>(
    'personTopics',
    listsByParent((ids, limit) => repository.listPersonTopics(db, viewer, ids, limit)),
    { ...byKey, hooks, tags: everyArticle },
  );
  const queryTermCount = createLoader<string, number>(
    'queryTermCount',
    (texts) => Promise.all(texts.map((text) => repository.countQueryTerms(db, text))),
    {
      hooks,
      // How many words Postgres keeps of a search text depends on the text alone.
      tags: () => [],
    },
  );
  return { queryTermCount, searchPage, searchTotal, relatedArticles, quotedWith, personTopics };
}
