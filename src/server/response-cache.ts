import { createHash } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Request, RequestHandler } from 'express';
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
 */

export const CONTENT_CHANGED_CHANNEL = 'byline_content_changed';

export interface CachedResponse {
  readonly body: string;
  readonly etag: string;
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
  const entries = new LRUCache<string, CachedResponse>({ max: config.responseCacheMaxEntries, ttl: ttlMs });
  // Bumped on every content change: an answer computed across a change is not stored.
  let generation = 0;
  let listening = false;
  let listener: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const clear = () => {
    generation += 1;
    entries.clear();
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
      if (message.channel === CONTENT_CHANGED_CHANNEL) clear();
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
    const hit = key === undefined ? undefined : entries.get(key);
    if (!hit) return next();
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
          if (listening && generation === startedIn) entries.set(key, { body, etag });
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
    },
  };
}
