import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../config.ts';
import type { DatabaseHandle } from '../db/open-database.ts';
import { hasFieldRight } from '../modules/partners/index.ts';
import { visibilityKey } from '../modules/articles/index.ts';
import { canonicalJson } from '../shared/canonical-json.ts';
import type { Logger } from '../shared/logger.ts';
import { sha256 } from '../shared/sha256.ts';
import { currentRequestScope, requestScopeOf } from '../shared/request-scope.ts';
import type { Viewer } from '../shared/viewer.ts';
import { endSpan, nameRequestOperation, startSpan } from '../shared/tracing.ts';
import { CacheHints, CachePolicies, type CachePolicy } from './cache-policy.ts';
import { listenForContentChanges, type ContentChanges } from './content-changes.ts';
import type { GraphQLContext } from '../modules/context.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { parsedDocuments, type ParsedDocuments } from '../protection/parsed-documents.ts';
import { variablesTextProblem } from '../protection/variables-limits.ts';
import type { RedisConnection } from '../db/redis-connection.ts';
import { LRUCache } from 'lru-cache';
import { Kind } from 'graphql';
import { entryData, memoryStore, redisPrefix, redisStore, type CacheEntry } from './response-cache-store.ts';
import { buildCurrentSchema } from '../graphql/schema-snapshot.ts';

/**
 * Full-response cache (docs/performance.md). GET requests (a query or an APQ hash, with
 * variables) are answered from the cache before Express parses a body or Apollo runs; misses go
 * through Apollo, whose successful answers are stored by the plugin.
 *
 * - Key: the document's sha256 (the APQ hash is that same value), operation name, variables in
 *   canonical form, and who asks as far as the answer can differ: anonymous or partner, visibility
 *   (public or preview) and, only when the operation selects fields that depend on them, the `body`
 *   right and the partner's identity (`@cacheControl` hints, src/cache/cache-policy.ts). Viewers are
 *   resolved before this middleware (partner keys: a bad one got its 401); requests with cookies
 *   bypass the cache.
 * - Lifetime: the operation's `maxAge`, at most BYLINE_RESPONSE_CACHE_TTL_SECONDS, and for public
 *   answers never past the next embargo lift (an answer computed before it would miss the article).
 * - Invalidation: loaders record the cache tags of what they read; ingest announces the tags it
 *   touched after commit (src/shared/cache-tags.ts); each gateway drops exactly the entries carrying
 *   one. An answer whose tags changed while it was computed is not stored, and while the listener is
 *   down nothing is served or stored. Off on PGlite: no other process to hear from.
 */

function parseJsonParam(value: unknown): { ok: true; value: unknown } | { ok: false } {
  if (value === undefined || value === '') return { ok: true, value: undefined };
  if (typeof value !== 'string') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(value) };
  } catch {
    return { ok: false };
  }
}

/** The parts of a GET request that name its answer. */
export interface CacheableRequest {
  readonly documentHash: string;
  readonly operationName: string;
  /** Canonical JSON. */
  readonly variables: string;
  /** The document's text, when the request carries it (not for hash-only APQ requests). */
  readonly query: string | undefined;
}

/** A GET's GraphQL parameters as Apollo reads them: the first of each name. */
function searchParamsOf(url: string): Record<string, string> {
  const question = url.indexOf('?');
  const params = new URLSearchParams(question === -1 ? '' : url.slice(question + 1));
  const read: Record<string, string> = {};
  for (const name of ['query', 'variables', 'extensions', 'operationName']) {
    const value = params.get(name);
    if (value !== null) read[name] = value;
  }
  return read;
}

/**
 * The request a GET's parameters describe, or undefined when it is not one the cache answers (no
 * document, malformed JSON, an APQ hash that is not its query's: Apollo answers those with its errors).
 */
export function cacheableRequestOf(params: Record<string, unknown>): CacheableRequest | undefined {
  // Too deep to key safely (canonicalJson recurses): the method guard answers 400.
  if (typeof params['variables'] === 'string' && variablesTextProblem(params['variables'], Infinity)) {
    return undefined;
  }
  const extensions = parseJsonParam(params['extensions']);
  const variables = parseJsonParam(params['variables']);
  if (!extensions.ok || !variables.ok) return undefined;
  const persisted = (extensions.value as { persistedQuery?: { sha256Hash?: unknown } } | undefined)
    ?.persistedQuery?.sha256Hash;
  const query = typeof params['query'] === 'string' && params['query'] !== '' ? params['query'] : undefined;
  let documentHash: string;
  if (query !== undefined) {
    documentHash = sha256(query);
    if (persisted !== undefined && persisted !== documentHash) return undefined;
  } else if (typeof persisted === 'string' && /^[0-9a-f]{64}$/.test(persisted)) {
    documentHash = persisted;
  } else {
    return undefined;
  }
  return {
    documentHash,
    operationName: typeof params['operationName'] === 'string' ? params['operationName'] : '',
    variables: canonicalJson(variables.value ?? {}),
    query,
  };
}

/**
 * The entry's key: two callers share it only when the answer cannot differ between them. Anonymous
 * callers and partners never share (the safelist and introspection rules differ); the visibility key
 * always counts; the `body` right and the partner's id only when the operation's policy says so.
 */
export function responseCacheKey(
  request: CacheableRequest,
  viewer: Viewer,
  policy: CachePolicy,
  /** The request's public base URL, when it can differ between requests (BYLINE_PUBLIC_URL_FROM_PROXY). */
  publicUrl?: string,
): string {
  const who: string[] = [viewer.kind, visibilityKey(viewer)];
  if (publicUrl !== undefined) who.push(`base=${publicUrl}`);
  if (policy.rights.includes('BODY')) who.push(`body=${hasFieldRight(viewer, 'body')}`);
  if (policy.scope === 'PRIVATE') who.push(`partner=${viewer.partnerId ?? ''}`);
  return sha256([...who, request.documentHash, request.operationName, request.variables].join('\n'));
}

/** A cached answer as sent: its data, and its cost against the caller's limit when Apollo computed one. */
function answerText(data: string, cost: number | undefined, limit: number): string {
  const extensions =
    cost === undefined ? '' : `,"extensions":{"cost":{"requested":${cost},"limit":${limit}}}`;
  return `{"data":${data}${extensions}}`;
}

/** HTTP caches may share only what every anonymous caller would get. */
function cacheControl(viewer: Viewer, policy: CachePolicy, seconds: number): string {
  const shared =
    viewer.kind === 'anonymous' && visibilityKey(viewer) === 'public' && policy.scope === 'PUBLIC';
  return `${shared ? 'public' : 'private'}, max-age=${Math.max(0, seconds)}`;
}

/** Weak comparison (RFC 9110 §13.1.2): `W/` does not count; `*` matches. */
function ifNoneMatch(header: string | null | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
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

// Cookies are not how Byline identifies callers, but an upstream that sets them may vary answers by them.
export function cacheableHeaders(headers: (name: string) => string | undefined): boolean {
  // A preview link's answers are private to it: never looked up, never stored (nor in the fast lane).
  return headers('cookie') === undefined && headers('byline-preview') === undefined && preflighted(headers);
}

export interface ResponseCache {
  /** Whether it caches at all (PostgreSQL, BYLINE_RESPONSE_CACHE): without it there is no fast lane. */
  readonly enabled: boolean;
  /** Serves hits; mount on `/graphql` after the viewer is known, before body parsing and Apollo. */
  readonly middleware: RequestHandler;
  /**
   * Answers a cacheable GET (`url` with its query string) from the cache when it can, resolving with
   * whether it did; the caller has checked the method and `cacheableHeaders`. For the fast lane.
   */
  serveHit(
    url: string,
    header: (name: string) => string | undefined,
    viewer: Viewer,
    res: ServerResponse,
  ): Promise<boolean>;
  /** Collects cache tags, stores Apollo's successful GET answers, sets Cache-Control and ETag. */
  readonly plugin: ApolloServerPlugin<GraphQLContext>;
  /** Resolves once this gateway's cache has dropped what the "everything" change `id` announced. */
  settled(id: string): Promise<void>;
  close(): Promise<void>;
}

/** How long a takedown waits for its own announcement to come back before answering anyway. */
const SETTLE_TIMEOUT_MS = 2000;

export async function createResponseCache(options: {
  readonly config: Config;
  readonly database: DatabaseHandle;
  readonly logger: Logger;
  readonly metrics?: Pick<GatewayMetrics, 'cacheLookups'>;
  /** GET documents parsed once, shared with the method guard; a cache of its own when absent. */
  readonly documents?: ParsedDocuments;
  /** Where entries live when REDIS_URL is set; in process memory otherwise. */
  readonly redis?: RedisConnection | undefined;
  /** The request's public base URL, when it can differ between requests: answers are then keyed by it. */
  readonly publicUrlOf?: ((req: IncomingMessage) => string) | undefined;
}): Promise<ResponseCache> {
  const { config, database, logger, metrics, redis, publicUrlOf } = options;
  const enabled = config.responseCache && database.engine === 'postgres' && config.databaseUrl !== undefined;
  if (!enabled) {
    return {
      enabled: false,
      middleware: (_req, _res, next) => next(),
      serveHit: async () => false,
      plugin: {},
      settled: async () => undefined,
      close: async () => undefined,
    };
  }

  const maxTtlMs = config.responseCacheTtlSeconds * 1000;
  const store = redis
    ? redisStore(redis, redisPrefix(String(config.databaseUrl)), maxTtlMs, logger)
    : memoryStore(config.responseCacheMaxBytes, config.responseCacheMaxEntries);
  // The hottest GET URLs, each with what its query string names: a hit skips decoding and hashing
  // its ~2 KB query string (most of a hit's time, bench:profile --cached). Only requests whose
  // document has a policy are kept; bounded by bytes.
  const requestsByUrl = new LRUCache<
    string,
    { request: CacheableRequest; policy: CachePolicy; operationName: string | undefined }
  >({
    max: 10_000,
    maxSize: 8 * 1024 * 1024,
    sizeCalculation: (value, url) => url.length + (value.request.query?.length ?? 0) + 256,
  });
  const cacheableOf = (url: string) => {
    const known = requestsByUrl.get(url);
    if (known) return known;
    const request = cacheableRequestOf(searchParamsOf(url));
    // Hash-only requests are Apollo's to refuse when APQ is off.
    if (!request || (request.query === undefined && !config.persistedQueries)) return undefined;
    const policy = policies.forRequest(request.documentHash, request.operationName, request.query);
    if (!policy) return undefined;
    // The span's name: the named operation, else the document's one operation's name.
    const operationName =
      request.operationName ||
      (request.query === undefined
        ? undefined
        : documents
            .parsed(request.documentHash, request.query)
            ?.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION)?.name?.value);
    const found = { request, policy, operationName };
    requestsByUrl.set(url, found);
    return found;
  };
  // Responses whose request the fast lane already looked up and missed: Express must not ask again.
  const missed = new WeakSet<ServerResponse>();
  const documents = options.documents ?? parsedDocuments(config.maxTokens);
  const policies = new CachePolicies(new CacheHints(buildCurrentSchema()), documents);
  const changes: ContentChanges = await listenForContentChanges({
    // LISTEN needs a session of its own: never through a transaction pooler.
    databaseUrl: String(config.databaseListenUrl ?? config.databaseUrl),
    logger,
    onChange: (change) => {
      // Replicas serve again once they have replayed this change (src/db/replica-router.ts).
      database.noteWrite();
      if (change.kind === 'everything') store.clear(change.id);
      else void store.invalidate(change.tags);
    },
  });
  const costLimit = (viewer: Viewer) => viewer.costBudget ?? config.costBudget;

  const lookUp: ResponseCache['serveHit'] = async (url, header, viewer, res) => {
    if (!changes.isListening()) return false;
    const cacheable = cacheableOf(url);
    if (!cacheable || cacheable.policy.maxAge === 0) return false;
    const { request, policy, operationName } = cacheable;
    // Only queries are cached (GET); a miss is named again by Apollo once the document is resolved.
    nameRequestOperation(operationName, 'query');
    const span = startSpan('cache.lookup', { 'byline.cache.name': 'response' });
    const asked = changes.position();
    let entry: CacheEntry | undefined;
    try {
      entry = await store.get(responseCacheKey(request, viewer, policy, publicUrlOf?.(res.req)));
    } catch (error) {
      endSpan(span, error);
      return false;
    }
    const now = Date.now();
    const usable =
      entry !== undefined &&
      changes.isListening() &&
      entry.expiresAt > now &&
      // Over budget for this caller: Apollo refuses it as it would without the cache.
      (entry.cost === undefined || entry.cost <= costLimit(viewer)) &&
      // A change announced while the store answered makes the entry unusable.
      !(changes.position() !== asked && changes.changedSince(asked, new Set(entry.tags)));
    metrics?.cacheLookups.inc({ cache: 'response', result: usable ? 'hit' : 'miss' });
    span?.setAttribute('byline.cache.hit', usable);
    endSpan(span);
    if (!usable || !entry) return false;
    res.setHeader('x-cache', 'HIT');
    res.setHeader('cache-control', cacheControl(viewer, policy, Math.floor((entry.expiresAt - now) / 1000)));
    res.setHeader('etag', entry.etag);
    if (ifNoneMatch(header('if-none-match'), entry.etag)) {
      res.statusCode = 304;
      res.end();
      return true;
    }
    res.setHeader('content-type', 'application/json; charset=utf-8');
    const limit = costLimit(viewer);
    // The stored bytes as they are when the caller's limit is the one they were made for.
    if (entry.body && entry.body.limit === limit) {
      res.setHeader('content-length', entry.body.bytes.length);
      res.end(entry.body.bytes);
    } else {
      res.end(answerText(entryData(entry), entry.cost, limit));
    }
    return true;
  };

  // Each request is looked up (and counted) once: a miss in the fast lane is not asked again by Express.
  const serveHit: ResponseCache['serveHit'] = async (url, header, viewer, res) => {
    if (missed.has(res)) return false;
    const served = await lookUp(url, header, viewer, res);
    if (!served) missed.add(res);
    return served;
  };

  const middleware: RequestHandler = (req: Request, res: Response, next) => {
    if (req.method !== 'GET' || !cacheableHeaders((name) => req.get(name))) return next();
    // Answers differ by partner key: HTTP caches must keep them apart.
    res.vary('Authorization');
    res.vary('X-Api-Key');
    serveHit(req.originalUrl, (name) => req.get(name), requestScopeOf(res).viewer, res).then(
      (served) => served || next(),
      next,
    );
  };

  const plugin: ApolloServerPlugin<GraphQLContext> = {
    async requestDidStart({ request, contextValue }) {
      const http = request.http;
      if (
        !http ||
        http.method !== 'GET' ||
        !cacheableHeaders((name) => http.headers.get(name) ?? undefined)
      ) {
        return;
      }
      const cacheable = cacheableRequestOf(searchParamsOf(http.search));
      const scope = currentRequestScope();
      // Without a scope the loaders cannot say what the answer was built from: not stored.
      if (!cacheable || !scope) return;
      const tags = new Set<string>();
      scope.cacheTags = tags;
      // Taken before any resolver reads: a change after this may or may not be in the answer.
      const startedAt = changes.position();
      const lift = await changes.nextEmbargoLift();
      const viewer = contextValue.viewer;
      let policy: CachePolicy | undefined;
      return {
        async didResolveOperation({ document }) {
          policy = policies.forDocument(cacheable.documentHash, cacheable.operationName, document);
        },
        async willSendResponse({ response }) {
          scope.cacheTags = undefined;
          if (response.body.kind !== 'single') return;
          const { data, errors, extensions } = response.body.singleResult;
          const headers = response.http.headers;
          if (
            errors?.length ||
            !data ||
            (response.http.status ?? 200) !== 200 ||
            !policy ||
            policy.maxAge === 0
          ) {
            headers.set('cache-control', 'no-store');
            return;
          }
          const now = Date.now();
          let expiresAt = now + Math.min(policy.maxAge * 1000, maxTtlMs);
          // Public answers lack embargoed articles: they must be gone when the next embargo lifts (and
          // are not stored when it could not be read).
          if (visibilityKey(viewer) === 'public' && lift !== null) {
            expiresAt = lift === undefined ? now : Math.min(expiresAt, lift);
          }
          const json = JSON.stringify(data);
          const etag = `W/"${sha256(json).slice(0, 32)}"`;
          headers.set('cache-control', cacheControl(viewer, policy, Math.floor((expiresAt - now) / 1000)));
          headers.set('etag', etag);
          headers.set('x-cache', 'MISS');
          if (ifNoneMatch(http.headers.get('if-none-match'), etag)) response.http.status = 304;
          if (expiresAt <= now || !changes.isListening() || changes.changedSince(startedAt, tags)) return;
          const cost = (extensions?.['cost'] as { requested?: number } | undefined)?.requested;
          // Built once, sent as is to every caller with the default cost limit (the anonymous public).
          const body = {
            bytes: Buffer.from(answerText(json, cost, config.costBudget)),
            limit: config.costBudget,
            dataBytes: Buffer.byteLength(json),
          };
          const entry: CacheEntry = { data: json, body, etag, cost, tags: [...tags], expiresAt };
          // Sent now, before any later invalidation on the same connection (see redisStore); not awaited.
          const base = publicUrlOf ? contextValue.publicUrl : undefined;
          void store.set(responseCacheKey(cacheable, viewer, policy, base), entry);
        },
      };
    },
  };

  return {
    enabled: true,
    middleware,
    serveHit,
    plugin,
    settled: (id) => changes.heard(id, SETTLE_TIMEOUT_MS),
    close: async () => {
      await changes.close();
      await store.close();
    },
  };
}
