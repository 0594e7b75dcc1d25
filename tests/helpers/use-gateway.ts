import type { Kysely } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import type { ArticleDocument } from '../../src/ingest/article-document.ts';
import type { ViewerResolver } from '../../src/protection/viewer-seam.ts';
import type { Logger } from '../../src/shared/logger.ts';
import { ingestDocuments } from './embedding.ts';
import type { OpenOptions, TestDatabase, TestEngine } from './engines.ts';
import { startTestGateway, type TestGateway } from './gateway.ts';

export interface DatabaseFixtureOptions {
  /** Start from the image with the demo content loaded. */
  readonly demo?: boolean;
  /** Ingested, in order, before the tests run (and before the gateway starts). */
  readonly articles?: readonly ArticleDocument[];
  /** Anything else the tests need in the database before they run. */
  readonly seed?: (database: TestDatabase) => Promise<void>;
  /** Pool size, timeouts… for the database handle. */
  readonly database?: Omit<OpenOptions, 'demo'>;
}

export interface DatabaseFixture {
  readonly database: TestDatabase;
  readonly db: Kysely<Database>;
  /** Article ids of `articles`, by slug. */
  readonly articleIds: ReadonlyMap<string, number>;
}

export interface GatewayFixtureOptions extends DatabaseFixtureOptions {
  /** Gateway settings; a function when they name the database (`DATABASE_URL: database.url`). */
  readonly env?: Record<string, string> | ((database: TestDatabase) => Record<string, string>);
  /** Who each request is, instead of anonymous (tests/helpers/viewers.ts). */
  readonly viewer?: ViewerResolver;
  readonly logger?: Logger;
}

export type GatewayFixture = DatabaseFixture & TestGateway;

/** Fields of an object filled in `beforeAll`; reading one earlier says so instead of giving undefined. */
function lateFields<T extends object>(what: string): { value: Partial<T>; view: T } {
  const value: Partial<T> = {};
  const view = new Proxy(value, {
    get(target, key) {
      if (typeof key === 'string' && key !== 'then' && !(key in target))
        throw new Error(`${what}.${String(key)} read before beforeAll set it up`);
      return target[key as keyof T];
    },
  }) as T;
  return { value, view };
}

async function openFixtureDatabase(
  engine: TestEngine,
  options: DatabaseFixtureOptions,
): Promise<DatabaseFixture> {
  const database = await engine.open({ ...options.database, demo: options.demo ?? false });
  try {
    const articleIds = await ingestDocuments(database.handle.db, options.articles ?? []);
    await options.seed?.(database);
    return { database, db: database.handle.db, articleIds };
  } catch (error) {
    await database.drop();
    throw error;
  }
}

/**
 * A database of this file's own, from the run's pre-built image, for the tests of the enclosing
 * `describe`: opened (and filled) in `beforeAll`, dropped in `afterAll`.
 */
export function useDatabase(engine: TestEngine, options: DatabaseFixtureOptions = {}): DatabaseFixture {
  const { value, view } = lateFields<DatabaseFixture>('useDatabase()');
  beforeAll(async () => {
    Object.assign(value, await openFixtureDatabase(engine, options));
  });
  afterAll(async () => {
    await value.database?.drop();
  });
  return view;
}

/**
 * A gateway on a loopback port over a database of its own (as `useDatabase`), configured as in
 * `env`, for the tests of the enclosing `describe`: started in `beforeAll`, closed in `afterAll`.
 */
export function useGateway(engine: TestEngine, options: GatewayFixtureOptions = {}): GatewayFixture {
  const { value, view } = lateFields<GatewayFixture>('useGateway()');
  beforeAll(async () => {
    const fixture = await openFixtureDatabase(engine, options);
    Object.assign(value, fixture);
    const gateway = await startTestGateway(fixture.database, {
      ...(options.env
        ? { env: typeof options.env === 'function' ? options.env(fixture.database) : options.env }
        : {}),
      ...(options.viewer ? { resolveViewer: options.viewer } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    Object.assign(value, gateway);
  });
  afterAll(async () => {
    await value.close?.();
    await value.database?.drop();
  });
  return view;
}
