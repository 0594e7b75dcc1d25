import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, inject } from 'vitest';
import { migrateToLatest } from '../../src/db/migrate.ts';
import {
  openDatabase,
  type DatabaseHandle,
  type DatabaseOptions,
  type Engine,
} from '../../src/db/open-database.ts';

export interface TestDatabase {
  readonly engine: Engine;
  readonly handle: DatabaseHandle;
  /** Connection string of this test database (Postgres only): for child processes. */
  readonly url: string | undefined;
  /** Closes the connection and, on Postgres, drops the database. */
  drop(): Promise<void>;
}

export interface TestEngine {
  readonly name: Engine;
  /** A fresh, migrated database of its own. */
  open(options?: Omit<DatabaseOptions, 'databaseUrl'>): Promise<TestDatabase>;
}

const postgresUrl = inject('postgresUrl');

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl!, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database on the test server; returns its connection string. */
export async function createPostgresDatabase(): Promise<{ url: string; dropDatabase: () => Promise<void> }> {
  const name = `byline_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((client) => client.query(`create database ${name}`));
  const url = new URL(postgresUrl!);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    dropDatabase: () =>
      admin((client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

const pglite: TestEngine = {
  name: 'pglite',
  async open(options = {}) {
    const handle = await openDatabase(options);
    await migrateToLatest(handle.db);
    return { engine: 'pglite', handle, url: undefined, drop: () => handle.close() };
  },
};

const postgres: TestEngine = {
  name: 'postgres',
  async open(options = {}) {
    const { url, dropDatabase } = await createPostgresDatabase();
    const handle = await openDatabase({ preparedStatements: true, ...options, databaseUrl: url });
    await migrateToLatest(handle.db);
    return {
      engine: 'postgres',
      handle,
      url,
      drop: async () => {
        await handle.close();
        await dropDatabase();
      },
    };
  },
};

/** The engines this run can test: PGlite always, Postgres when a server answered. */
export const engines: readonly TestEngine[] = postgresUrl ? [pglite, postgres] : [pglite];

export const postgresAvailable = postgresUrl !== null;

/** `describe` once per engine, named after it. */
export function describeEachEngine(name: string, body: (engine: TestEngine) => void): void {
  for (const engine of engines) describe(`${name} [${engine.name}]`, () => body(engine));
}
