import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, inject } from 'vitest';
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

export interface OpenOptions extends Omit<DatabaseOptions, 'databaseUrl' | 'loadDataDir'> {
  /** Start with the demo content loaded (content/demo), as `byline serve --demo` would. */
  readonly demo?: boolean;
}

export interface TestEngine {
  readonly name: Engine;
  /**
   * A fresh, migrated database of its own (with `demo`, holding the demo content), copied from the
   * image tests/helpers/global-setup.ts built once for the run.
   */
  open(options?: OpenOptions): Promise<TestDatabase>;
}

const postgresUrl = inject('postgresUrl');
const images = inject('databaseImages');

// Read once per test file (one worker process per file): each PGlite then loads from memory.
const pgliteImages = new Map<string, Promise<Blob>>();
function pgliteImage(file: string): Promise<Blob> {
  let image = pgliteImages.get(file);
  if (!image) {
    image = readFile(file).then((bytes) => new Blob([bytes]));
    pgliteImages.set(file, image);
  }
  return image;
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl!, connectionTimeoutMillis: 30_000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a database on the test server, empty or as a copy of one of the run's images (migrated, or
 * migrated with the demo); returns its connection string.
 */
export async function createPostgresDatabase(
  image?: 'migrated' | 'demo',
): Promise<{ url: string; dropDatabase: () => Promise<void> }> {
  const name = `byline_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const template = image && images.postgres![image];
  await admin((client) =>
    client.query(template ? `create database ${name} template ${template}` : `create database ${name}`),
  );
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
  async open({ demo = false, ...options } = {}) {
    const image = await pgliteImage(demo ? images.pglite.demo : images.pglite.migrated);
    const handle = await openDatabase({ ...options, loadDataDir: image });
    return { engine: 'pglite', handle, url: undefined, drop: () => handle.close() };
  },
};

const postgres: TestEngine = {
  name: 'postgres',
  async open({ demo = false, ...options } = {}) {
    const { url, dropDatabase } = await createPostgresDatabase(demo ? 'demo' : 'migrated');
    const handle = await openDatabase({ preparedStatements: true, ...options, databaseUrl: url });
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

/**
 * A PGlite data directory of its own, copied from the run's image (migrated, or migrated with the
 * demo), for a child process: `BYLINE_DATA_DIR`, as an operator keeps one. It starts without initdb
 * or migrations, which a busy machine makes cost seconds per process.
 */
export async function createPgliteDataDir(
  image: 'migrated' | 'demo',
): Promise<{ dataDir: string; remove: () => Promise<void> }> {
  const parent = await mkdtemp(path.join(tmpdir(), 'byline-test-data-'));
  const dataDir = path.join(parent, 'pgdata');
  await cp(images.pgliteDirs[image], dataDir, { recursive: true });
  return { dataDir, remove: () => rm(parent, { recursive: true, force: true }) };
}

/** Embedded PGlite: always available. */
export const pgliteEngine: TestEngine = pglite;

/** The engines this run can test: PGlite always, Postgres when a server answered. */
export const engines: readonly TestEngine[] = postgresUrl ? [pglite, postgres] : [pglite];

export const postgresAvailable = postgresUrl !== null;

/** The Postgres engine, or undefined when no server answered (then `describePostgres` skips). */
export const postgresEngine: TestEngine | undefined = postgresUrl ? postgres : undefined;

/**
 * Tests that need a real PostgreSQL server (pool, prepared statements, Redis-backed cache, faults):
 * skipped, saying so, when none answered.
 */
export function describePostgres(name: string, body: (engine: TestEngine) => void): void {
  describe.runIf(postgresUrl !== null)(`${name} [postgres]`, () => body(postgres));
}

/** `describe` once per engine, named after it. */
export function describeEachEngine(name: string, body: (engine: TestEngine) => void): void {
  for (const engine of engines) describe(`${name} [${engine.name}]`, () => body(engine));
}
