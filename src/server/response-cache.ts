import { createHash, randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Request, RequestHandler, Response } from 'express';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import pg from 'pg';
import type { Config } from '../config.ts';
import type { DatabaseHandle } from '../db/open-database.ts';
import type { Logger } from '../shared/logger.ts';
import { anonymousViewer } from '../shared/viewer.ts';
import { visibilityKey } from '../shared/visibility.ts';

/**
 * Full-response cache for public content (issue 6). GET requests (a query or an APQ hash, with
 * variables) are answered from the cache before Express parses a body or Apollo runs; misses go
 * through Apollo, whose successful answers are stored. The key is the document's sha256 (the APQ hash
 * when given), the operation name, the variables in canonical form and the caller's visibility key.
 *
 * Never stale after ingest commits: a statement trigger on `articles` (migration 202611270005) sends
 * `NOTIFY byline_content_changed` in the ingest transaction; Postgres delivers it on commit and every
 * gateway process listening clears its cache. It is coarse on purpose (any ingest clears everything):
 * no entity-precise bookkeeping to get wrong. While the listener is down nothing is served or stored.
 * On PGlite there is no second process to listen to, so the cache is off.
 *
 * Entries live in an in-memory LRU, or in Redis when REDIS_URL is set (shared by every gateway).
 * Redis keys carry a generation named by the change that started it, so a change drops every
 * process's entries at once without scanning; a Redis failure is a miss, never an error.
 */

export const CONTENT_CHANGED_CHANNEL = 'byline_content_changed';

export interface CachedResponse {
  readonly body: string;
  readonly etag: string;
}

/** Where entries live. `clear` makes every entry unreachable, moving to `generation` when given. */
interface Store {
  get(key: string): Promise<CachedResponse | undefined>;
  set(key: string, value: CachedResponse): Promise<void>;
  clear(generation?: string): void;
  close(): Promise<void>;
}

function memoryStore(maxEntries: number, ttlMs: number): Store {
  const entries = new LRUCache<string, CachedResponse>({ max: maxEntries, ttl: ttlMs });
  return {
    get: async (key) => entries.get(key),
    set: async (key, value) => void entries.set(key, value),
    clear: () => entries.clear(),
    close: async () => entries.clear(),
  };
}

/** Gateways on one database share entries; gateways on different databases never do. */
export function redisPrefix(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return `byline:response:${sha256(`${url.hostname}:${url.port}${url.pathname}`).slice(0, 16)}:`;
}

function redisStore(url: URL, prefix: string, ttlMs: number, logger: Logger): Store {
  const redis = new Redis(url.href, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  let warned = false;
  redis.on('error', (error: Error) => {
    if (!warned) logger.warn({ err: error }, 'response cache: Redis unavailable; answering without it');
    warned = true;
  });
  redis.on('ready', () => (warned = false));
  // Every gateway gets the same notification payload (the ingest's transaction id) and so moves to
  // the same generation; a fresh listener, which may have missed changes, starts a random one of its own.
  let generation: string = randomUUID();
  const entryKey = (key: string) => `${prefix}${generation}:${key}`;
  return {
    async get(key) {
      const text = await redis.get(entryKey(key)).catch(() => null);
      return text === null ? undefined : (JSON.parse(text) as CachedResponse);
    },
    async set(key, value) {
      await redis.set(entryKey(key), JSON.stringify(value), 'PX', ttlMs).catch(() => undefined);
    },
    clear: (next) => {
      generation = next && /^[\w-]{1,64}$/.test(next) ? next : randomUUID();
    },
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

export interface ResponseCache {
  /** Serves hits; mount on `/graphql` before body parsing and Apollo. */
  readonly middleware: RequestHandler;
  /** Stores Apollo's successful GET answers and sets Cache-Control and ETag on them. */
  readonly plugin: ApolloServerPlugin;
  /** Drops every entry (what a content change notification does). */
  clear(): void;
  close(): Promise<void>;
}

// Requests carrying credentials may see more than the public; until viewers are resolved before this
// middleware, they bypass the cache entirely so one caller's fields never reach another.
const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'cookie'];

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** JSON with object keys sorted, so `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same key. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

function parseJsonParam(value: unknown): { ok: true; value: unknown } | { ok: false } {
  if (value === undefined || value === '') return { ok: true, value: undefined };
  if (typeof value !== 'string') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(value) };
  } catch {
    return { ok: false };
  }
}

/**
 * The cache key of a GET request's parameters, or undefined when the request is not cacheable here
 * (no document, malformed JSON: Apollo answers those with its own errors).
 */
export function responseCacheKey(
  params: Record<string, unknown>,
  visibility: ReturnType<typeof visibilityKey>,
): string | undefined {
  const extensions = parseJsonParam(params['extensions']);
  const variables = parseJsonParam(params['variables']);
  if (!extensions.ok || !variables.ok) return undefined;
  const persisted = (extensions.value as { persistedQuery?: { sha256Hash?: unknown } } | undefined)
    ?.persistedQuery?.sha256Hash;
  const query = params['query'];
  // The APQ hash is the sha256 of the document, so a hash-only GET and a full GET share one key.
  const documentHash =
    typeof persisted === 'string' && /^[0-9a-f]{64}$/.test(persisted)
      ? persisted
      : typeof query === 'string' && query !== ''
        ? sha256(query)
        : undefined;
  if (documentHash === undefined) return undefined;
  const operationName = typeof params['operationName'] === 'string' ? params['operationName'] : '';
  return sha256([visibility, documentHash, operationName, canonicalJson(variables.value ?? {})].join('\n'));
}

/** Apollo's CSRF rule for GET: a header a browser cannot send cross-origin without a preflight. */
function preflighted(headers: (name: string) => string | undefined): boolean {
  const contentType = headers('content-type')?.split(';')[0]?.trim().toLowerCase();
  return (
    headers('x-apollo-operation-name') !== undefined ||
    headers('apollo-require-preflight') !== undefined ||
    (contentType !== undefined &&
      !['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'].includes(contentType))
  );
}

function cacheableRequest(method: string, headers: (name: string) => string | undefined): boolean {
  return (
    method === 'GET' &&
    CREDENTIAL_HEADERS.every((name) => headers(name) === undefined) &&
    preflighted(headers)
  );
}

export async function createResponseCache(options: {
  readonly config: Config;
  readonly database: DatabaseHandle;
  readonly logger: Logger;
}): Promise<ResponseCache> {
  const { config, database, logger } = options;
  const enabled = config.responseCache && database.engine === 'postgres' && config.databaseUrl !== undefined;
  const ttlMs = config.responseCacheTtlSeconds * 1000;
  const store =
    enabled && config.redisUrl
      ? redisStore(config.redisUrl, redisPrefix(String(config.databaseUrl)), ttlMs, logger)
      : memoryStore(config.responseCacheMaxEntries, ttlMs);
  // Bumped on every content change: an answer computed across a change is not stored.
  let generation = 0;
  let listening = false;
  let listener: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const clear = (next?: string) => {
    generation += 1;
    store.clear(next);
  };

  const listen = async (): Promise<void> => {
    const client = new pg.Client({
      connectionString: String(config.databaseUrl),
      application_name: 'byline-cache-listener',
    });
    let handled = false;
    const lost = (reason: unknown) => {
      if (handled) return;
      handled = true;
      if (listener === client) listener = undefined;
      listening = false;
      clear();
      void client.end().catch(() => undefined);
      if (closed) return;
      logger.warn({ err: reason }, 'response cache listener lost; cache off until it reconnects');
      retry = setTimeout(() => void listen(), 1000);
      retry.unref();
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel === CONTENT_CHANGED_CHANNEL) clear(message.payload);
    });
    listener = client;
    try {
      await client.connect();
      await client.query(`listen ${CONTENT_CHANGED_CHANNEL}`);
    } catch (error) {
      lost(error);
      return;
    }
    clear(); // whatever changed while nobody listened
    listening = !closed;
  };
  if (enabled) await listen();

  const ttlSeconds = Math.floor(ttlMs / 1000);
  const middleware: RequestHandler = (req: Request, res, next) => {
    if (!enabled || !listening || !cacheableRequest(req.method, (name) => req.get(name))) return next();
    const key = responseCacheKey(req.query as Record<string, unknown>, visibilityKey(anonymousViewer));
    if (key === undefined) return next();
    const asked = generation;
    store.get(key).then(
      // A change notified while Redis answered makes the answer unusable.
      (hit) => (hit && listening && generation === asked ? sendHit(req, res, hit) : next()),
      () => next(),
    );
  };
  const sendHit = (req: Request, res: Response, hit: CachedResponse) => {
    res.setHeader('x-cache', 'HIT');
    res.setHeader('cache-control', `public, max-age=${ttlSeconds}`);
    res.setHeader('etag', hit.etag);
    if (req.get('if-none-match') === hit.etag) {
      res.status(304).end();
      return;
    }
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(hit.body);
  };

  const plugin: ApolloServerPlugin = {
    async requestDidStart({ request }) {
      const http = request.http;
      if (
        !enabled ||
        !http ||
        !cacheableRequest(http.method, (name) => http.headers.get(name) ?? undefined)
      ) {
        return;
      }
      const key = responseCacheKey(
        Object.fromEntries(new URLSearchParams(http.search)),
        visibilityKey(anonymousViewer),
      );
      if (key === undefined) return;
      const startedIn = generation;
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          if (errors?.length || data === undefined || data === null) return;
          if ((response.http.status ?? 200) !== 200) return;
          const body = JSON.stringify({ data });
          const etag = `W/"${sha256(body).slice(0, 32)}"`;
          response.http.headers.set('cache-control', `public, max-age=${ttlSeconds}`);
          response.http.headers.set('etag', etag);
          response.http.headers.set('x-cache', 'MISS');
          if (listening && generation === startedIn) await store.set(key, { body, etag });
        },
      };
    },
  };

  return {
    middleware,
    plugin,
    clear,
    close: async () => {
      closed = true;
      clearTimeout(retry);
      listening = false;
      const client = listener;
      listener = undefined;
      await client?.end().catch(() => undefined);
      await store.close();
    },
  };
}
