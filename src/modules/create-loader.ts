import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { currentCacheTags } from '../shared/request-scope.ts';
import { traceBatch, tracingEnabled } from '../shared/tracing.ts';
import type { Viewer } from '../shared/viewer.ts';
import type { ArticleChildren } from './article-children.ts';
import type { Loaders } from './loader-types.ts';

export interface LoaderHooks {
  /** Called with each batch's loader name and size (metrics). */
  readonly onBatch?: (loader: string, size: number) => void;
}

/** What a module's loaders are built from: the request's database, viewer and hooks, and every other loader. */
export interface LoaderScope {
  readonly db: Kysely<Database>;
  readonly viewer: Viewer;
  readonly hooks: LoaderHooks;
  /** The request's loaders, for priming: a parent's statement fills the loaders of the rows it brought. */
  readonly loaders: Loaders;
  /** What other modules let an article's statement bring along (`./article-children.ts`). */
  readonly articleChildren: ArticleChildren;
}

export interface LoaderOptions<K, V, C> {
  /**
   * The cache tags (`src/shared/cache-tags.ts`) of a key and the value it gave: what the response
   * cache learns an answer was built from. Required, so a loader cannot be added without them.
   */
  readonly tags: (key: K, value: V) => readonly string[];
  readonly hooks: LoaderHooks;
  readonly cacheKeyFn?: (key: K) => C;
}

/**
 * Records cache tags on `load` (which `loadMany` calls), not in the batch function, so a value primed
 * by another loader or served from the request's loader cache still counts.
 */
class TaggedLoader<K, V, C> extends DataLoader<K, V, C> {
  readonly #tagsOf: (key: K, value: V) => readonly string[];

  constructor(
    batch: DataLoader.BatchLoadFn<K, V>,
    options: DataLoader.Options<K, V, C>,
    tagsOf: (key: K, value: V) => readonly string[],
  ) {
    super(batch, options);
    this.#tagsOf = tagsOf;
  }

  override load(key: K): Promise<V> {
    const tags = currentCacheTags();
    const loading = super.load(key);
    if (!tags) return loading;
    return loading.then((value) => {
      for (const name of this.#tagsOf(key, value)) tags.add(name);
      return value;
    });
  }
}

/**
 * A request's DataLoader, reporting each batch's size to `hooks.onBatch` under `name` (and as a span
 * when tracing is on, the batch's statements under it) and recording
 * the cache tags of what it loads while the response cache collects them.
 */
export function createLoader<K, V, C = K>(
  name: string,
  batch: DataLoader.BatchLoadFn<K, V>,
  options: LoaderOptions<K, V, C>,
): DataLoader<K, V, C> {
  const { onBatch } = options.hooks;
  const observed: DataLoader.BatchLoadFn<K, V> = (keys) => {
    onBatch?.(name, keys.length);
    return tracingEnabled() ? traceBatch(name, keys.length, () => batch(keys)) : batch(keys);
  };
  return new TaggedLoader<K, V, C>(
    observed,
    options.cacheKeyFn ? { cacheKeyFn: options.cacheKeyFn } : {},
    options.tags,
  );
}
