import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
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
 * Each of these is one query per distinct key (a search, or one article's or person's list), shared
 * within the request; none is batched across keys because each has its own limit.
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
    (keys) => Promise.all(keys.map((key) => repository.findRelatedArticles(db, viewer, key.id, key.limit))),
    byKey,
  );
  const quotedWith = new DataLoader<ListKey, repository.QuotedWithRow[], string>(
    (keys) => Promise.all(keys.map((key) => repository.listQuotedWith(db, viewer, key.id, key.limit))),
    byKey,
  );
  const personTopics = new DataLoader<ListKey, repository.PersonTopicRow[], string>(
    (keys) => Promise.all(keys.map((key) => repository.listPersonTopics(db, viewer, key.id, key.limit))),
    byKey,
  );
  const queryTermCount = new DataLoader<string, number>((texts) =>
    Promise.all(texts.map((text) => repository.countQueryTerms(db, text))),
  );
  return { queryTermCount, searchPage, searchTotal, relatedArticles, quotedWith, personTopics };
}
