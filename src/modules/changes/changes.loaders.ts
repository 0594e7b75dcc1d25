import { canonicalJson } from '../../shared/canonical-json.ts';
import { cacheTags as tag } from '../../shared/cache-tags.ts';
import { createLoader, type LoaderScope } from '../create-loader.ts';
import { findChangesHead, listChanges, type ChangeFilter, type ChangePage } from './changes.repository.ts';

/** One page of the change log for the request's viewer. */
export interface ChangePageKey {
  readonly after: number;
  readonly first: number;
  readonly filter: ChangeFilter;
}

declare module '../loader-types.ts' {
  interface Loaders extends ChangeLoaders {}
}

export type ChangeLoaders = ReturnType<typeof createChangeLoaders>;

export function createChangeLoaders({ db, viewer, hooks }: LoaderScope) {
  // Every page is its own statement (pages of one request rarely repeat); the loader keeps them in
  // the request's snapshot. Any content change moves the log: answers hold the tag of all articles.
  const changePage = createLoader<ChangePageKey, ChangePage, string>(
    'changePage',
    (keys) => Promise.all(keys.map((key) => listChanges(db, { ...key, viewer }))),
    { hooks, tags: () => [tag.allArticles], cacheKeyFn: (key) => canonicalJson(key) },
  );
  const changesHead = createLoader<'head', number>(
    'changesHead',
    async (keys) => {
      const head = await findChangesHead(db);
      return keys.map(() => head);
    },
    { hooks, tags: () => [tag.allArticles] },
  );
  return { changePage, changesHead };
}
