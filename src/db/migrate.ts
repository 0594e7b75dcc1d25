import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  Migrator,
  sql,
  type Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResult,
} from 'kysely';
import type { Database } from './database.ts';

export const migrationFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

/** Migration files are named `YYYYMMDDNNNN_what_it_does.ts`; they sort in the order they run. */
export const MIGRATION_FILE = /^\d{12}_[a-z0-9_]+\.ts$/;

/**
 * Like Kysely's FileMigrationProvider, but imports from our own module so the TypeScript loader in
 * use (tsx, or Vitest's) resolves the `.ts` files.
 */
const migrationProvider: MigrationProvider = {
  async getMigrations() {
    const files = (await readdir(migrationFolder)).filter((file) => MIGRATION_FILE.test(file)).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const module = (await import(
        /* @vite-ignore */ pathToFileURL(path.join(migrationFolder, file)).href
      )) as Migration;
      migrations[file.replace(/\.ts$/, '')] = {
        up: module.up,
        ...(module.down ? { down: module.down } : {}),
      };
    }
    return migrations;
  },
};

export function createMigrator(db: Kysely<Database>): Migrator {
  return new Migrator({ db, provider: migrationProvider });
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

function check({ error, results }: { error?: unknown; results?: MigrationResult[] | undefined }) {
  const failed = results?.find((result) => result.status === 'Error');
  if (error !== undefined || failed) {
    const which = failed ? `migration ${failed.migrationName} failed` : 'migrations failed';
    const cause = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`${which}: ${cause}`, { cause: error });
  }
  return results ?? [];
}

/**
 * Runs the migrator on one connection without the request-sized statement_timeout: building an
 * index on a large table may rightly take longer than any request should.
 */
function onUnboundedConnection<T>(db: Kysely<Database>, run: (migrator: Migrator) => Promise<T>): Promise<T> {
  return db.connection().execute(async (connection) => {
    await sql`set statement_timeout = 0`.execute(connection);
    try {
      return await run(createMigrator(connection));
    } finally {
      await sql`reset statement_timeout`.execute(connection);
    }
  });
}

export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResult[]> {
  return check(await onUnboundedConnection(db, (migrator) => migrator.migrateToLatest()));
}

export async function migrateDown(db: Kysely<Database>): Promise<MigrationResult[]> {
  return check(await onUnboundedConnection(db, (migrator) => migrator.migrateDown()));
}

/** Every migration with whether it ran; `pending` is what `migrateToLatest` would apply. */
export async function migrationStatus(db: Kysely<Database>) {
  const migrations = await createMigrator(db).getMigrations();
  return {
    migrations: migrations.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null })),
    pending: migrations.filter((m) => m.executedAt === undefined).map((m) => m.name),
  };
}
