import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin connection string of a reachable Postgres, or null when none answers. */
    postgresUrl: string | null;
  }
}

/** Finds a Postgres for the suite: DATABASE_URL, else the local server on 127.0.0.1:5432. */
export default async function setup(project: TestProject): Promise<void> {
  const candidate = process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';
  const client = new pg.Client({ connectionString: candidate, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    project.provide('postgresUrl', candidate);
  } catch (error) {
    console.warn(
      `\n[byline tests] Postgres tests skipped: no server answered at ${candidate.replace(/:[^:@/]*@/, ':***@')} (${(error as Error).message}). PGlite tests still run.\n`,
    );
    project.provide('postgresUrl', null);
  } finally {
    await client.end().catch(() => undefined);
  }
}
