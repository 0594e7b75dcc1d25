import { Kysely, PostgresDialect, sql, type LogEvent } from 'kysely';
import pg from 'pg';
import type { Database } from './database.ts';
import { lockDataDir, type DataDirLock } from './data-dir-lock.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { prepareStatements } from './prepared-statements.ts';
import { createReplicaRouter, replicaName, type ReplicaRouter } from './replica-router.ts';
import {
  SNAPSHOT_BEGIN,
  type SnapshotSession,
  sharedRequestDatabase,
  snapshotRequestDatabase,
  type RequestDatabase,
} from './request-database.ts';
import { currentRequestScope } from '../shared/request-scope.ts';
import { recordStatement } from '../shared/tracing.ts';

export type Engine = 'postgres' | 'pglite';

export interface DatabaseOptions {
  /** PostgreSQL connection string; absent means embedded PGlite. */
  readonly databaseUrl?: URL | string | undefined;
  /** PGlite data directory; absent means in memory. */
  readonly dataDir?: string | undefined;
  /** PGlite only: a data directory tarball (`PGlite.dumpDataDir()`) to start from instead of initdb. */
  readonly loadDataDir?: Blob | undefined;
  readonly poolSize?: number;
  readonly acquireTimeoutMs?: number;
  readonly statementTimeoutMs?: number;
  /** Name (prepare) the statements Kysely sends, so Postgres plans each text once per connection. */
  readonly preparedStatements?: boolean;
  readonly idleInTransactionTimeoutMs?: number;
  /**
   * `pgbouncer-transaction`: consecutive transactions may run on different server sessions, so nothing
   * is set per session (statements unnamed, no startup settings) and each snapshot sets its own
   * statement_timeout (https://www.pgbouncer.org/features.html#sql-feature-map-for-pooling-modes).
   */
  readonly pooler?: 'none' | 'pgbouncer-transaction';
  /** Streaming replicas that serve request snapshots (src/db/replica-router.ts). */
  readonly replicaUrls?: readonly (URL | string)[] | undefined;
  /** A replica further behind the primary than this is skipped. */
  readonly replicaMaxLagMs?: number;
  /** How often each replica's health and replay position are read. */
  readonly replicaCheckIntervalMs?: number;
  /** Called for every statement, after it ran (metrics). */
  readonly onQuery?: (event: LogEvent) => void;
  /**
   * Called when a pooled connection fails, idle or in use (server restart, network, terminated
   * backend): the connection is discarded, a statement running on it fails, and the process goes on.
   */
  readonly onPoolError?: (error: Error) => void;
  /** Called when the pool opens a new connection (the database answers again after a failure). */
  readonly onPoolConnect?: () => void;
}

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly engine: Engine;
  /** The pg pool behind `db` (Postgres only), for pool metrics. */
  readonly pool: pg.Pool | undefined;
  /** The read replicas and where requests went, when DATABASE_REPLICA_URLS is set. */
  readonly replicas?: ReplicaRouter | undefined;
  /**
   * A content change was committed (heard by NOTIFY, or written here): request snapshots go to the
   * primary until a replica has replayed the primary's WAL as of now (read-your-writes).
   */
  noteWrite(): void;
  /**
   * A database for one request. With `snapshot`, all its statements read one committed state
   * (src/db/request-database.ts); without, each takes whatever pooled connection comes.
   */
  forRequest(snapshot: boolean): RequestDatabase;
  /** Resolves when the database answers a trivial statement. */
  ping(): Promise<void>;
  /**
   * Cuts the connections in use: their running statements fail at once (as an unavailable database)
   * instead of being waited for. PGlite runs in this process and has nothing to cut.
   */
  interrupt(): void;
  /**
   * Closes the pool once every connection is given back; after `graceMs`, connections still in use
   * are cut (`interrupt`) so that closing never waits on a running statement.
   */
  close(graceMs?: number): Promise<void>;
}

/** What pg keeps of a client's socket; cut to end a statement we no longer wait for. */
interface ClientSocket {
  readonly connection?: { readonly stream?: { destroy(): void; cork?(): void; uncork?(): void } };
}

// int8 (count(*), sums) as a JS number on pg too, so both engines return the same row shapes.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** pg's pipeline mode (pg ≥ 8.23), switched per client: on for a request's snapshot, off in the pool. */
function pipelined(client: pg.PoolClient, on: boolean): void {
  (client as unknown as { pipeline: boolean }).pipeline = on;
}

export async function openDatabase(options: DatabaseOptions = {}): Promise<DatabaseHandle> {
  const log = (event: LogEvent): void => {
    const stats = currentRequestScope()?.sql;
    if (stats) {
      stats.statements += 1;
      stats.durationMs += event.queryDurationMillis;
    }
    recordStatement(
      event.query.sql,
      event.queryDurationMillis,
      event.level === 'error' ? event.error : undefined,
    );
    options.onQuery?.(event);
  };

  if (options.databaseUrl) {
    const pooled = options.pooler === 'pgbouncer-transaction';
    const statementTimeoutMs = options.statementTimeoutMs ?? 5000;
    // Named statements live in one server session, which a transaction pooler does not keep for us.
    const preparedStatements = options.preparedStatements === true && !pooled;
    const inUse = new Set<pg.PoolClient>();
    const createPool = (connectionString: string): pg.Pool => {
      const created = new pg.Pool({
        connectionString,
        max: options.poolSize ?? 10,
        connectionTimeoutMillis: options.acquireTimeoutMs ?? 2000,
        // PgBouncer refuses startup parameters it does not know, and would apply them to one server
        // session only: behind it, timeouts belong to the role (docs/operations.md) and the snapshot.
        ...(!pooled && {
          statement_timeout: statementTimeoutMs,
          idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 10_000,
        }),
        application_name: 'byline',
        // Named statements are parsed once, but planned for their values every time: a generic plan
        // (Postgres' choice after five runs) for "quotes of speaker $1" suits rare speakers and ruins
        // the page of one quoted 37,000 times (bench: person page).
        ...(preparedStatements && { options: '-c plan_cache_mode=force_custom_plan' }),
        types,
      });
      // pg's pool listens for 'error' only on idle clients and re-emits it here; a client in use that
      // loses its server emits 'error' with no listener, which kills the process. So every client gets one
      // for its whole life: its running statement fails, the pool discards it on release.
      created.on('error', () => undefined);
      created.on('connect', (client) => {
        client.on('error', (error) => options.onPoolError?.(error));
        options.onPoolConnect?.();
      });
      created.on('acquire', (client) => inUse.add(client));
      created.on('release', (_error, client) => inUse.delete(client));
      created.on('remove', (client) => inUse.delete(client as pg.PoolClient));
      if (preparedStatements) prepareStatements(created);
      return created;
    };
    const pool = createPool(String(options.databaseUrl));
    // One round trip: the snapshot's own timeout, since no session setting survives the pooler.
    const snapshotBegin = pooled
      ? `${SNAPSHOT_BEGIN}; set local statement_timeout = ${Math.floor(statementTimeoutMs)}`
      : SNAPSHOT_BEGIN;
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log });
    // The server may go on running the statement until it next writes to the socket or its
    // statement_timeout; this process no longer waits for it.
    const interrupt = () => {
      for (const client of inUse) (client as ClientSocket).connection?.stream?.destroy();
    };
    const openPipelinedSnapshot = async (client: pg.PoolClient): Promise<SnapshotSession> => {
      // Pipelined while the request holds it (https://www.postgresql.org/docs/15/protocol-flow.html#PROTOCOL-FLOW-PIPELINING):
      // BEGIN goes out with the first statement and the statements a tick's loaders ask for together
      // go out together, each with its own Sync, so one round trip serves them instead of one each.
      pipelined(client, true);
      // The messages of statements sent together leave in one write rather than one per message.
      const socket = (client as ClientSocket).connection?.stream;
      let corked = false;
      const cork = () => {
        if (corked || !socket?.cork) return;
        corked = true;
        socket.cork();
        process.nextTick(() => {
          corked = false;
          socket.uncork!();
        });
      };
      cork();
      const begun = client.query(SNAPSHOT_BEGIN);
      begun.catch(() => undefined); // answered through the statements, which wait for it
      let ended = false;
      return {
        // Every statement waits for BEGIN too: none answers unless the snapshot was opened.
        query: async (text: string, values: readonly unknown[]) => {
          cork();
          return (await Promise.all([begun, client.query(text, [...values])]))[1];
        },
        end: async () => {
          if (ended) return;
          ended = true;
          try {
            await begun;
            await client.query('commit');
            pipelined(client, false);
            client.release();
          } catch (error) {
            client.release(error as Error);
          }
        },
      };
    };
    const openSerialSnapshot = async (client: pg.PoolClient): Promise<SnapshotSession> => {
      try {
        await client.query(snapshotBegin);
      } catch (error) {
        client.release(error as Error);
        throw error;
      }
      let ended = false;
      // One statement at a time: the request's loaders ask concurrently, and pg deprecates queueing
      // queries on a busy client (pg 9 drops it); pg ran them one after another anyway.
      let tail: Promise<unknown> = Promise.resolve();
      const serially = <T>(run: () => Promise<T>): Promise<T> => {
        const result = tail.then(run);
        tail = result.catch(() => undefined);
        return result;
      };
      return {
        query: (text: string, values: readonly unknown[]) => serially(() => client.query(text, [...values])),
        end: async () => {
          if (ended) return;
          ended = true;
          try {
            await serially(() => client.query('commit'));
            client.release();
          } catch (error) {
            client.release(error as Error);
          }
        },
      };
    };
    // Behind a transaction pooler each statement waits for the one before it; directly connected, a
    // request's statements are pipelined on its connection.
    const openSnapshotOn = async (from: pg.Pool): Promise<SnapshotSession> => {
      const client = await from.connect();
      return pooled ? openSerialSnapshot(client) : openPipelinedSnapshot(client);
    };
    const replicas =
      options.replicaUrls && options.replicaUrls.length > 0
        ? createReplicaRouter({
            primary: pool,
            replicas: options.replicaUrls.map((url) => ({
              name: replicaName(url),
              pool: createPool(String(url)),
            })),
            maxLagMs: options.replicaMaxLagMs ?? 10_000,
            checkIntervalMs: options.replicaCheckIntervalMs ?? 1000,
          })
        : undefined;
    const openSnapshot = () => openSnapshotOn(pool);
    return {
      db,
      engine: 'postgres',
      pool,
      replicas,
      noteWrite: () => replicas?.noteWrite(),
      forRequest: (snapshot) => {
        if (!snapshot) return sharedRequestDatabase(db);
        if (!replicas) return snapshotRequestDatabase(db, openSnapshot, log);
        return snapshotRequestDatabase(db, () => replicas.openSnapshot(openSnapshotOn), log);
      },
      ping: async () => {
        await sql`select 1`.execute(db);
      },
      interrupt,
      close: async (graceMs) => {
        const cut = graceMs === undefined ? undefined : setTimeout(interrupt, graceMs);
        try {
          await db.destroy();
          // Kysely ends the pool only if it used it; request snapshots may have used it alone.
          if (!pool.ending) await pool.end();
          await replicas?.close();
        } finally {
          clearTimeout(cut);
        }
      },
    };
  }

  // Loaded only when used: PGlite and its extensions add ~35 MB to a gateway running on Postgres.
  const [{ PGlite }, { pg_trgm }, { unaccent }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
    import('@electric-sql/pglite/contrib/unaccent'),
  ]);
  // One process per data directory: a second opener fails here, before PGlite reads a byte.
  const lock: DataDirLock | undefined = options.dataDir ? lockDataDir(options.dataDir) : undefined;
  let pglite: InstanceType<typeof PGlite>;
  try {
    pglite = await PGlite.create({
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
      extensions: { pg_trgm, unaccent },
    });
  } catch (error) {
    lock?.release();
    throw error;
  }
  const dialect = new PGliteDialect(pglite);
  const db = new Kysely<Database>({ dialect, log });
  return {
    db,
    engine: 'pglite',
    pool: undefined,
    noteWrite: () => undefined,
    forRequest: (snapshot) =>
      snapshot
        ? snapshotRequestDatabase(db, () => dialect.snapshotSession(), log)
        : sharedRequestDatabase(db),
    interrupt: () => undefined,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: async () => {
      try {
        await db.destroy();
      } finally {
        lock?.release();
      }
    },
  };
}
