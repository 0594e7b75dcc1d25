import { LRUCache } from 'lru-cache';
import type { RedisConnection } from '../db/redis-connection.ts';

/** The slice of Apollo's KeyValueCache the APQ store uses. */
export interface PersistedQueryCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean | void>;
}

/** How long a registration lives in Redis when Apollo names no TTL: re-registering costs a client one round trip. */
const REDIS_TTL_SECONDS = 7 * 24 * 3600;

/**
 * APQ store: the safelist manifest's documents answer first (so a hash-only GET of a registered
 * operation always works, on every instance, from the first request), then documents clients
 * registered: in this process (bounded), and in Redis when there is one, so a hash registered through
 * one instance works through every other. A hash names its document for good (Apollo checks the
 * sha256 before storing), so the local copy never goes stale. Without Redis (down, or a command too
 * slow) an instance answers from what it holds; a client then gets PERSISTED_QUERY_NOT_FOUND and
 * registers again, as the protocol provides. Apollo prefixes keys with `apq:`.
 */
export function persistedQueryCache(
  manifest: ReadonlyMap<string, string> | undefined,
  redis?: RedisConnection,
  prefix = 'byline:apq:',
): PersistedQueryCache {
  const registered = new LRUCache<string, string>({
    max: 10_000,
    maxSize: 50_000_000,
    sizeCalculation: (value) => value.length + 1,
  });
  const hashOf = (key: string) => key.replace(/^apq:/, '');
  const shared = async (hash: string): Promise<string | undefined> => {
    if (!redis || redis.state() !== 'ready') return undefined;
    const text = await redis.run((client) => client.get(prefix + hash)).catch(() => null);
    if (text === null) return undefined;
    registered.set(hash, text);
    return text;
  };
  return {
    get: async (key) => {
      const hash = hashOf(key);
      return manifest?.get(hash) ?? registered.get(hash) ?? shared(hash);
    },
    set: async (key, value, options) => {
      const hash = hashOf(key);
      registered.set(hash, value);
      if (!redis || redis.state() !== 'ready') return;
      const ttl = typeof options?.ttl === 'number' && options.ttl > 0 ? options.ttl : REDIS_TTL_SECONDS;
      await redis
        .run((client) => client.set(prefix + hash, value, 'EX', Math.ceil(ttl)))
        .catch(() => undefined);
    },
    delete: async (key) => {
      const hash = hashOf(key);
      await redis?.run((client) => client.del(prefix + hash)).catch(() => undefined);
      return registered.delete(hash);
    },
  };
}
