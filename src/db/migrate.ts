import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileMigrationProvider, Migrator, type Kysely, type MigrationResult } from 'kysely';
import type { Database } from './database.ts';

export const migrationFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

export function createMigrator(db: Kysely<Database>): Migrator {
  return new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder }),
  });
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

export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResult[]> {
  return check(await createMigrator(db).migrateToLatest());
}

export async function migrateDown(db: Kysely<Database>): Promise<MigrationResult[]> {
  return check(await createMigrator(db).migrateDown());
}

/** Every migration with whether it ran; `pending` is what `migrateToLatest` would apply. */
export async function migrationStatus(db: Kysely<Database>) {
  const migrations = await createMigrator(db).getMigrations();
  return {
    migrations: migrations.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null })),
    pending: migrations.filter((m) => m.executedAt === undefined).map((m) => m.name),
  };
}
