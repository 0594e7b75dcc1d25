import { LRUCache } from 'lru-cache';

/** The slice of Apollo's KeyValueCache the APQ store uses. */
export interface PersistedQueryCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean | void>;
}

/**
 * APQ store: the safelist manifest's documents answer first (so a hash-only GET of a registered
 * operation always works, on every instance, from the first request), then documents clients
 * registered, bounded in memory. Apollo prefixes keys with `apq:`.
 */
export function persistedQueryCache(manifest: ReadonlyMap<string, string> | undefined): PersistedQueryCache {
  const registered = new LRUCache<string, string>({
    max: 10_000,
    maxSize: 50_000_000,
    sizeCalculation: (value) => value.length + 1,
  });
  const hashOf = (key: string) => key.replace(/^apq:/, '');
  return {
    get: async (key) => manifest?.get(hashOf(key)) ?? registered.get(hashOf(key)),
    set: async (key, value) => {
      registered.set(hashOf(key), value);
    },
    delete: async (key) => registered.delete(hashOf(key)),
  };
}
