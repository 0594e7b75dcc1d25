import { Kysely, PostgresDialect, sql, type LogEvent } from 'kysely';
import pg from 'pg';
import type { Database } from './database.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { prepareStatements } from './prepared-statements.ts';
import { currentRequestScope } from '../shared/request-scope.ts';

export type Engine = 'postgres' | 'pglite';

export interface DatabaseOptions {
  /** PostgreSQL connection string; absent means embedded PGlite. */
  readonly databaseUrl?: URL | string | undefined;
  /** PGlite data directory; absent means in memory. */
  readonly dataDir?: string | undefined;
  readonly poolSize?: number;
  readonly acquireTimeoutMs?: number;
  readonly statementTimeoutMs?: number;
  /** Name (prepare) the statements Kysely sends, so Postgres plans each text once per connection. */
  readonly preparedStatements?: boolean;
  readonly idleInTransactionTimeoutMs?: number;
  /** Called for every statement, after it ran (metrics). */
  readonly onQuery?: (event: LogEvent) => void;
  /** Called when an idle pooled connection fails (the process must not crash on it). */
  readonly onPoolError?: (error: Error) => void;
}

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly engine: Engine;
  /** The pg pool behind `db` (Postgres only), for pool metrics. */
  readonly pool: pg.Pool | undefined;
  /** Resolves when the database answers a trivial statement. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// int8 (count(*), sums) as a JS number on pg too, so both engines return the same row shapes.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export async function openDatabase(options: DatabaseOptions = {}): Promise<DatabaseHandle> {
  const log = (event: LogEvent): void => {
    const stats = currentRequestScope()?.sql;
    if (stats) {
      stats.statements += 1;
      stats.durationMs += event.queryDurationMillis;
    }
    options.onQuery?.(event);
  };

  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: String(options.databaseUrl),
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.acquireTimeoutMs ?? 2000,
      statement_timeout: options.statementTimeoutMs ?? 5000,
      idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 10_000,
      application_name: 'byline',
      // Named statements are parsed once, but planned for their values every time: a generic plan
      // (Postgres' choice after five runs) for "quotes of speaker $1" suits rare speakers and ruins
      // the page of one quoted 37,000 times (bench: person page).
      ...(options.preparedStatements && { options: '-c plan_cache_mode=force_custom_plan' }),
      types,
    });
    // An idle client's failure (server restart, network) is reported here; unhandled it kills the process.
    pool.on('error', (error) => options.onPoolError?.(error));
    if (options.preparedStatements) prepareStatements(pool);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log });
    return {
      db,
      engine: 'postgres',
      pool,
      ping: async () => {
        await sql`select 1`.execute(db);
      },
      close: () => db.destroy(),
    };
  }

  // Loaded only when used: PGlite and its extensions add ~35 MB to a gateway running on Postgres.
  const [{ PGlite }, { pg_trgm }, { unaccent }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
    import('@electric-sql/pglite/contrib/unaccent'),
  ]);
  const pglite = await PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    extensions: { pg_trgm, unaccent },
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite), log });
  return {
    db,
    engine: 'pglite',
    pool: undefined,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
