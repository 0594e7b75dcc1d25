import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What follows a request through every await, without threading it through every call: its id
 * (for logs and masked errors) and the SQL it ran (counted where Kysely logs each query).
 */
export interface RequestScope {
  readonly requestId: string;
  readonly sql: { statements: number; durationMs: number };
}

const storage = new AsyncLocalStorage<RequestScope>();

export function runInRequestScope<T>(scope: RequestScope, run: () => T): T {
  return storage.run(scope, run);
}

export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}

export function newRequestScope(requestId: string): RequestScope {
  return { requestId, sql: { statements: 0, durationMs: 0 } };
}
