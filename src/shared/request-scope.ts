import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { anonymousViewer, type Viewer } from './viewer.ts';

/**
 * Everything per request that is not its answer, in one object created once when the request
 * arrives: its id (logs, masked errors, `x-request-id`), who asks, the SQL it ran (counted where
 * Kysely logs each query) and, while the response cache collects them, the cache tags of what the
 * answer was built from. Middleware reach it from the response (`requestScopeOf`); code without one
 * (resolvers, loaders, the database layer) from the async context (`currentRequestScope`), the same
 * object entered just before GraphQL runs.
 */
export interface RequestScope {
  readonly requestId: string;
  /**
   * Anonymous until the viewer step (src/http/authenticate.ts) sets it, once, on the paths where a
   * partner key counts; read by rate limits, CORS, the response cache, the request log and GraphQL.
   */
  viewer: Viewer;
  /**
   * The request's statements, their summed duration, and its round trips: statements sent while none
   * of the request's was awaiting its answer (a snapshot pipelines the others behind it).
   */
  readonly sql: { statements: number; durationMs: number; roundTrips: number };
  /** Set by the response cache for a cacheable request; loaders add to it (`src/shared/cache-tags.ts`). */
  cacheTags: Set<string> | undefined;
}

/** What `x-request-id` may carry from the caller; anything else is replaced by a fresh id. */
const CALLER_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The request's id: the caller's `x-request-id` when it is a short token (so it cannot forge log
 * lines or headers), else a fresh UUID. The one rule, for the cache fast lane and Express alike.
 */
export function chooseRequestId(incoming: string | undefined): string {
  return incoming !== undefined && CALLER_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export function newRequestScope(requestId: string, viewer: Viewer = anonymousViewer): RequestScope {
  return { requestId, viewer, sql: { statements: 0, durationMs: 0, roundTrips: 0 }, cacheTags: undefined };
}

const byResponse = new WeakMap<ServerResponse, RequestScope>();

/** Creates the request's scope and attaches it to its response; the gateway's first middleware calls it. */
export function openRequestScope(res: ServerResponse, requestId: string): RequestScope {
  const scope = newRequestScope(requestId);
  byResponse.set(res, scope);
  return scope;
}

/** The scope `openRequestScope` attached to this response. */
export function requestScopeOf(res: ServerResponse): RequestScope {
  const scope = byResponse.get(res);
  if (!scope) throw new Error('Expected a request scope on this response; openRequestScope never ran for it');
  return scope;
}

const storage = new AsyncLocalStorage<RequestScope>();

export function runInRequestScope<T>(scope: RequestScope, run: () => T): T {
  return storage.run(scope, run);
}

export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}

/** The tag set of the response being computed, or undefined when nothing collects them. */
export function currentCacheTags(): Set<string> | undefined {
  return storage.getStore()?.cacheTags;
}
