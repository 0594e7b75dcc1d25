import {
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
  type ConnectionProvider,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type LogEvent,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';
import type { Database } from './database.ts';
import { currentRequestScope } from '../shared/request-scope.ts';

/**
 * The database as one request sees it: every statement of the request reads the same committed state.
 * The first statement takes a connection (PGlite: the session) and opens a read-only repeatable-read
 * transaction on it (https://www.postgresql.org/docs/15/transaction-iso.html#XACT-REPEATABLE-READ);
 * the request's later statements run in that transaction; `finish` commits it and gives the connection
 * back. A request that never reads takes no connection.
 */
export interface RequestDatabase {
  readonly db: Kysely<Database>;
  /** Ends the snapshot (commit, connection back to the pool); idempotent; later statements fail. */
  finish(): Promise<void>;
}

/** A connection (or PGlite's session) held by one request, inside its snapshot transaction. */
export interface SnapshotSession {
  query(sql: string, parameters: readonly unknown[]): Promise<{ rows: unknown[] }>;
  /** Commits and gives the connection back, discarding it when it failed. */
  end(): Promise<void>;
}

/** Read only: a request never writes; repeatable read: all its statements see one snapshot. */
export const SNAPSHOT_BEGIN = 'begin isolation level repeatable read read only';

/** A statement of a request that has already finished (its client went away, or a bug). */
export class RequestFinishedError extends Error {
  override name = 'RequestFinishedError';
  constructor() {
    super("A statement was sent after its request's snapshot ended: expected every read before the answer");
  }
}

/** Without snapshots: every statement takes any pooled connection, as it comes. */
export function sharedRequestDatabase(db: Kysely<Database>): RequestDatabase {
  return { db, finish: async () => undefined };
}

/**
 * `base` lends its query compiler: a Kysely built from a dialect makes its own, whose visitor table
 * made a new one per request cost ~70 µs, most of it garbage collection. Statements are logged here
 * (`log`, as Kysely would), since they do not pass through `base`'s driver.
 */
export function snapshotRequestDatabase(
  base: Kysely<Database>,
  open: () => Promise<SnapshotSession>,
  log: (event: LogEvent) => void,
): RequestDatabase {
  return new SnapshotRequestDatabase(base, new SnapshotDriver(open, log));
}

// Classes rather than closures: one of these is made for every request.
class SnapshotRequestDatabase implements RequestDatabase {
  #db: Kysely<Database> | undefined;
  private readonly base: Kysely<Database>;
  private readonly driver: SnapshotDriver;
  constructor(base: Kysely<Database>, driver: SnapshotDriver) {
    this.base = base;
    this.driver = driver;
  }

  // Built on first use: a request answered without the database (a cache hit, a 401) builds nothing.
  get db(): Kysely<Database> {
    if (!this.#db) {
      const dialect = new SnapshotDialect(this.driver);
      this.#db = new Kysely<Database>({
        config: { dialect },
        dialect,
        driver: this.driver,
        executor: this.base.getExecutor().withConnectionProvider(this.driver),
      });
    }
    return this.#db;
  }

  finish(): Promise<void> {
    return this.driver.finish();
  }
}

class SnapshotDialect implements Dialect {
  private readonly driver: SnapshotDriver;
  constructor(driver: SnapshotDriver) {
    this.driver = driver;
  }
  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return this.driver;
  }
  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}

/** The request's one connection, as Kysely sees it. */
class SnapshotConnection implements DatabaseConnection {
  private readonly driver: SnapshotDriver;
  constructor(driver: SnapshotDriver) {
    this.driver = driver;
  }
  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.driver.run<R>(query);
  }
  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('A request snapshot does not stream; expected executeQuery');
  }
}

class SnapshotDriver implements Driver, ConnectionProvider {
  #session: Promise<SnapshotSession> | undefined;
  #failure: unknown;
  #finished = false;
  #finishing: Promise<void> | undefined;
  #onTheWire = 0;
  readonly #connection = new SnapshotConnection(this);

  private readonly open: () => Promise<SnapshotSession>;
  private readonly log: (event: LogEvent) => void;
  constructor(open: () => Promise<SnapshotSession>, log: (event: LogEvent) => void) {
    this.open = open;
    this.log = log;
  }

  async run<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.#finished) throw new RequestFinishedError();
    if (this.#failure !== undefined) throw this.#failure;
    const started = performance.now();
    // Statements asked for while another is on the wire go out behind it (pipelined): one round trip.
    if (this.#onTheWire++ === 0) {
      const stats = currentRequestScope()?.sql;
      if (stats) stats.roundTrips += 1;
    }
    try {
      const session = await (this.#session ??= this.open());
      if (this.#finished) throw new RequestFinishedError();
      const { rows } = await session.query(query.sql, query.parameters);
      this.log({ level: 'query', query, queryDurationMillis: performance.now() - started });
      return { rows: rows as R[] };
    } catch (error) {
      // A failed statement aborts the transaction: the request's later statements fail the same way
      // (a timeout stays a timeout) instead of with "current transaction is aborted".
      this.#failure ??= error;
      this.log({ level: 'error', error, query, queryDurationMillis: performance.now() - started });
      throw error;
    } finally {
      this.#onTheWire -= 1;
    }
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return this.#connection;
  }

  provideConnection<T>(consumer: (connection: DatabaseConnection) => Promise<T>): Promise<T> {
    return consumer(this.#connection);
  }

  async beginTransaction(): Promise<void> {
    throw new Error('A request reads inside its snapshot; expected no transaction of its own');
  }
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  async releaseConnection(): Promise<void> {}

  finish(): Promise<void> {
    this.#finished = true;
    return (this.#finishing ??= this.#end());
  }

  async #end(): Promise<void> {
    const opening = this.#session;
    if (!opening) return;
    const session = await opening.catch(() => undefined);
    await session?.end();
  }

  async destroy(): Promise<void> {
    await this.finish();
  }
}
