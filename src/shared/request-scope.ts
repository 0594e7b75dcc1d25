import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What follows a request through every await, without threading it through every call: its id
 * (for logs and masked errors), the SQL it ran (counted where Kysely logs each query) and, while the
 * response cache collects them, the cache tags of what the answer was built from.
 */
export interface RequestScope {
  readonly requestId: string;
  readonly sql: { statements: number; durationMs: number };
  /** Set by the response cache for a cacheable request; loaders add to it (`src/shared/cache-tags.ts`). */
  cacheTags: Set<string> | undefined;
}

const storage = new AsyncLocalStorage<RequestScope>();

export function runInRequestScope<T>(scope: RequestScope, run: () => T): T {
  return storage.run(scope, run);
}

export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}

export function newRequestScope(requestId: string): RequestScope {
  return { requestId, sql: { statements: 0, durationMs: 0 }, cacheTags: undefined };
}

/** The tag set of the response being computed, or undefined when nothing collects them. */
export function currentCacheTags(): Set<string> | undefined {
  return storage.getStore()?.cacheTags;
}
