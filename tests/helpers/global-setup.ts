import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kysely } from 'kysely';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import type { Database } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { PGliteDialect } from '../../src/db/pglite-dialect.ts';
import { ingestPaths } from '../../src/ingest/ingest-paths.ts';

/** The images every test file starts from: migrated, and migrated with the demo content loaded. */
export interface DatabaseImages {
  /** Files holding PGlite data directories (`dumpDataDir`), read by `engine.open()`. */
  readonly pglite: { readonly migrated: string; readonly demo: string };
  /** Template databases on the Postgres server, or null without one. */
  readonly postgres: PostgresTemplates | null;
}

interface PostgresTemplates {
  readonly migrated: string;
  readonly demo: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin connection string of a reachable Postgres, or null when none answers. */
    postgresUrl: string | null;
    databaseImages: DatabaseImages;
  }
}

const demoContentDir = fileURLToPath(new URL('../../content/demo/', import.meta.url));

async function loadDemo(db: Kysely<Database>): Promise<void> {
  const summary = await ingestPaths(db, [demoContentDir]);
  if (summary.failed > 0) throw new Error(`demo content failed to load: ${JSON.stringify(summary.files)}`);
}

/** One PGlite, migrated and dumped, then loaded with the demo and dumped again. */
async function buildPgliteImages(files: DatabaseImages['pglite']): Promise<void> {
  const [{ PGlite }, { pg_trgm }, { unaccent }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
    import('@electric-sql/pglite/contrib/unaccent'),
  ]);
  const pglite = await PGlite.create({ extensions: { pg_trgm, unaccent } });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  // Uncompressed: each file's load skips a gunzip.
  const dump = async (file: string) =>
    writeFile(file, Buffer.from(await (await pglite.dumpDataDir('none')).arrayBuffer()));
  try {
    await migrateToLatest(db);
    await dump(files.migrated);
    await loadDemo(db);
    await dump(files.demo);
  } finally {
    await db.destroy();
  }
}

async function admin<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 30_000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.href;
}

// Built while the machine may be busy with a second run: a request-sized timeout would fail setup.
const SETUP_TIMEOUTS = {
  acquireTimeoutMs: 30_000,
  statementTimeoutMs: 120_000,
  idleInTransactionTimeoutMs: 600_000,
};

async function buildPostgresTemplates(adminUrl: string, names: PostgresTemplates): Promise<void> {
  await admin(adminUrl, (client) => client.query(`create database ${names.migrated}`));
  const migrated = await openDatabase({
    ...SETUP_TIMEOUTS,
    databaseUrl: databaseUrl(adminUrl, names.migrated),
  });
  try {
    await migrateToLatest(migrated.db);
  } finally {
    await migrated.close();
  }
  await admin(adminUrl, (client) => client.query(`create database ${names.demo} template ${names.migrated}`));
  const demo = await openDatabase({ ...SETUP_TIMEOUTS, databaseUrl: databaseUrl(adminUrl, names.demo) });
  try {
    await loadDemo(demo.db);
  } finally {
    await demo.close();
  }
}

async function dropTemplate(adminUrl: string, name: string): Promise<void> {
  await admin(adminUrl, async (client) => {
    await client.query(`drop database if exists ${name} with (force)`);
  });
}

/**
 * Finds a Postgres for the suite (DATABASE_URL, else the local server on 127.0.0.1:5432) and builds,
 * once per run, the database images each test file starts from. Names are unique per run, so two
 * runs side by side do not share them; teardown removes them.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const candidate = process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';
  const client = new pg.Client({ connectionString: candidate, connectionTimeoutMillis: 2000 });
  let postgresUrl: string | null = null;
  try {
    await client.connect();
    await client.query('select 1');
    postgresUrl = candidate;
  } catch (error) {
    console.warn(
      `\n[byline tests] Postgres tests skipped: no server answered at ${candidate.replace(/:[^:@/]*@/, ':***@')} (${(error as Error).message}). PGlite tests still run.\n`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
  project.provide('postgresUrl', postgresUrl);

  const dir = await mkdtemp(path.join(tmpdir(), 'byline-test-images-'));
  const run = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const templates = postgresUrl
    ? { migrated: `byline_template_${run}`, demo: `byline_template_demo_${run}` }
    : null;
  const teardown = async () => {
    if (postgresUrl && templates) {
      for (const name of Object.values(templates)) await dropTemplate(postgresUrl, name);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const pglite = { migrated: path.join(dir, 'migrated.tar'), demo: path.join(dir, 'demo.tar') };
    // allSettled: teardown must not remove what a build still writes.
    const built = await Promise.allSettled([
      buildPgliteImages(pglite),
      postgresUrl && templates ? buildPostgresTemplates(postgresUrl, templates) : undefined,
    ]);
    for (const result of built) if (result.status === 'rejected') throw result.reason;
    project.provide('databaseImages', { pglite, postgres: templates });
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
