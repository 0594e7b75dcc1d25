import { createHash, randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../shared/logger.ts';
import type { RedisConnection } from '../db/redis-connection.ts';

/** One cached answer. */
export interface CacheEntry {
  /** The answer's `data`, as JSON (empty in memory, where `body` holds it). */
  readonly data: string;
  /**
   * In memory only: the whole answer as sent to a caller whose cost limit is `body.limit`, written to
   * the socket as is; `body.dataBytes` bytes from offset 8 (after `{"data":`) are `data`.
   */
  readonly body?: { readonly bytes: Buffer; readonly limit: number; readonly dataBytes: number };
  readonly etag: string;
  /** The query cost Apollo computed (the hit reports it with the caller's own limit). */
  readonly cost: number | undefined;
  /** What it was built from (src/shared/cache-tags.ts). */
  readonly tags: readonly string[];
  /** Epoch milliseconds after which it must not be served. */
  readonly expiresAt: number;
}

/** Where entries live. */
export interface ResponseCacheStore {
  get(key: string): Promise<CacheEntry | undefined>;
  set(key: string, entry: CacheEntry): Promise<void>;
  /** Drops every entry carrying one of `tags`. */
  invalidate(tags: readonly string[]): Promise<void>;
  /** Makes every entry unreachable, moving to `generation` when given (Redis). */
  clear(generation?: string): void;
  close(): Promise<void>;
}

/** The JSON `data` of an entry, wherever it is kept. */
export function entryData(entry: CacheEntry): string {
  return entry.body ? entry.body.bytes.toString('utf8', 8, 8 + entry.body.dataBytes) : entry.data;
}

/**
 * What an entry costs in memory, in bytes: its body, its key, its tags in the entry and in the tag
 * index, and a fixed overhead for the objects around them (measured: docs/performance.md).
 */
export function entrySize(key: string, entry: CacheEntry): number {
  let tags = 0;
  for (const tag of entry.tags) tags += 2 * tag.length + 96;
  return (entry.body?.bytes.length ?? 2 * entry.data.length) + 2 * key.length + tags + 512;
}

/**
 * An LRU of entries bounded by bytes (and a count), with a tag → keys index kept exact as entries are
 * evicted, expire or are replaced. Bodies are Buffers: outside the JavaScript heap, exactly their size.
 */
export function memoryStore(maxBytes: number, maxEntries = 100_000): ResponseCacheStore {
  const keysByTag = new Map<string, Set<string>>();
  const entries = new LRUCache<string, CacheEntry>({
    max: maxEntries,
    maxSize: maxBytes,
    sizeCalculation: (entry, key) => entrySize(key, entry),
    ttlAutopurge: false,
    dispose: (entry, key) => {
      for (const tag of entry.tags) {
        const keys = keysByTag.get(tag);
        keys?.delete(key);
        if (keys?.size === 0) keysByTag.delete(tag);
      }
    },
  });
  return {
    get: async (key) => entries.get(key),
    set: async (key, entry) => {
      const ttl = entry.expiresAt - Date.now();
      if (ttl <= 0) return;
      // The body alone is kept: `data` is a slice of it.
      const kept: CacheEntry = entry.body ? { ...entry, data: '' } : entry;
      // Larger than the whole cache: not kept (lru-cache would refuse it anyway).
      if (entrySize(key, kept) > maxBytes) return;
      entries.set(key, kept, { ttl });
      if (!entries.has(key)) return;
      for (const tag of entry.tags) {
        let keys = keysByTag.get(tag);
        if (!keys) keysByTag.set(tag, (keys = new Set()));
        keys.add(key);
      }
    },
    invalidate: async (tags) => {
      for (const tag of tags) {
        for (const key of [...(keysByTag.get(tag) ?? [])]) entries.delete(key);
      }
    },
    clear: () => entries.clear(),
    close: async () => entries.clear(),
  };
}

/** Gateways on one database share entries; gateways on different databases never do. */
export function redisPrefix(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  const database = `${url.hostname}:${url.port}${url.pathname}`;
  return `byline:response:${createHash('sha256').update(database).digest('hex').slice(0, 16)}:`;
}

// KEYS: the entry, then one sorted set per tag. ARGV: value, ttl ms, expiry (epoch ms), now, tag-set ttl ms.
// Each tag's set holds the keys of its entries scored by expiry, so expired members are pruned as it grows.
const STORE_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], ARGV[3], KEYS[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', ARGV[4])
  redis.call('PEXPIRE', KEYS[i], ARGV[5])
end`;

// KEYS: tag sets. Deletes every entry each names, then the set, in one step.
const INVALIDATE_SCRIPT = `
for i = 1, #KEYS do
  local members = redis.call('ZRANGE', KEYS[i], 0, -1)
  for j = 1, #members, 500 do
    redis.call('DEL', unpack(members, j, math.min(j + 499, #members)))
  end
  redis.call('DEL', KEYS[i])
end`;

/**
 * Entries in Redis, shared by every gateway on the database. Tags are sorted sets of entry keys:
 * invalidation deletes the entries a tag names. Correct under concurrency because every gateway
 * invalidates on every notification, on the same connection it stores on: a store that passed its
 * gateway's guard (no notification for its tags seen yet) was sent before that gateway's own
 * invalidation, which Redis then runs after it and which finds it. Entry keys also carry a
 * generation, so "everything" (a notification too large, a listener that reconnects, a failed
 * invalidation) makes all of them unreachable without a scan. A Redis failure is a miss and the answer
 * is not stored, never an error: the connection fails fast (src/db/redis-connection.ts) and logs
 * the outage once.
 */
export function redisStore(
  redis: RedisConnection,
  prefix: string,
  maxTtlMs: number,
  logger: Logger,
): ResponseCacheStore {
  // Every gateway gets the same "everything" payload (the writer's transaction id) and so moves to the
  // same generation; a fresh listener, which may have missed changes, starts a random one of its own.
  let generation: string = randomUUID();
  const entryKey = (key: string) => `${prefix}${generation}:${key}`;
  const tagKey = (tag: string) => `${prefix}tag:${tag}`;
  return {
    async get(key) {
      if (redis.state() !== 'ready') return undefined;
      const text = await redis.run((client) => client.get(entryKey(key))).catch(() => null);
      return text === null ? undefined : (JSON.parse(text) as CacheEntry);
    },
    async set(key, entry) {
      const now = Date.now();
      const ttl = entry.expiresAt - now;
      if (ttl <= 0 || redis.state() !== 'ready') return;
      await redis
        .run((client) =>
          client.eval(
            STORE_SCRIPT,
            1 + entry.tags.length,
            entryKey(key),
            ...entry.tags.map(tagKey),
            // The JSON `data` travels; a Buffer body is the memory store's.
            JSON.stringify({ ...entry, data: entryData(entry), body: undefined }),
            ttl,
            entry.expiresAt,
            now,
            maxTtlMs,
          ),
        )
        .catch(() => undefined);
    },
    async invalidate(tags) {
      if (tags.length === 0) return;
      const wasReady = redis.state() === 'ready';
      await redis
        .run((client) => client.eval(INVALIDATE_SCRIPT, tags.length, ...tags.map(tagKey)))
        .catch((error: unknown) => {
          // Entries that could not be dropped must not be served: leave them all behind. During an
          // outage the connection has logged it already.
          if (wasReady) {
            logger.warn(
              { err: error },
              'response cache: Redis invalidation failed; starting a new generation',
            );
          }
          generation = randomUUID();
        });
    },
    clear: (next) => {
      generation = next && /^[\w-]{1,64}$/.test(next) ? next : randomUUID();
    },
    // The gateway owns the connection and closes it.
    close: async () => undefined,
  };
}
