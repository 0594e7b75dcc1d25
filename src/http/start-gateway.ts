import { fileURLToPath } from 'node:url';
import type { Config } from '../config.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { openDatabase, type DatabaseHandle } from '../db/open-database.ts';
import { countArticles } from '../ingest/ingest.repository.ts';
import { ingestPaths } from '../ingest/ingest-paths.ts';
import type { Logger } from '../shared/logger.ts';
import { createGateway, type Gateway, type Readiness } from './create-gateway.ts';
import { databaseErrorFields, isDatabaseUnavailable } from '../graphql/format-error.ts';
import { issueLocalCliKey } from '../modules/partners/index.ts';
import { migrateWebhookQueue, startWebhookQueue, type WebhookQueue } from '../modules/webhooks/index.ts';
import { removeServerAddress, serverAddressFile, writeServerAddress } from '../shared/server-address-file.ts';

export const demoContentDir = fileURLToPath(new URL('../../content/demo/', import.meta.url));

export interface RunningGateway {
  readonly url: string;
  readonly gateway: Gateway;
  readonly database: DatabaseHandle;
  /** Whether the database is prepared; false while it waits for PostgreSQL at start. */
  readonly readiness: Readiness;
  /** Graceful stop: in-flight requests finish within the grace period, then the pool closes. */
  stop(): Promise<void>;
}

/** Backoff between attempts to prepare the database: a refused connection costs little, and a returning database should be served within a quarter second. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 250;
/** Time a request has to answer 503 after its statement is cut at the end of the shutdown grace. */
const ANSWER_MS = 250;

/**
 * Opens the database, applies pending migrations, loads the demo into an empty one, and listens.
 * When PostgreSQL cannot be reached at start it listens all the same, unready (/readyz 503, every
 * other route 503 with Retry-After, /healthz 200), and keeps trying in the background; once the
 * database is prepared it serves, without a restart. Any other failure at start (a migration that
 * fails on a reachable database) stops the start: retrying cannot fix it.
 */
export async function startGateway(config: Config, logger: Logger): Promise<RunningGateway> {
  // Connection failures are logged once per outage (code and message only), not once per connection.
  let connectionsFailing = false;
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.poolSize,
    preparedStatements: config.preparedStatements,
    acquireTimeoutMs: config.poolAcquireTimeoutMs,
    statementTimeoutMs: config.statementTimeoutMs,
    idleInTransactionTimeoutMs: config.idleInTransactionTimeoutMs,
    pooler: config.databasePooler,
    replicaUrls: config.databaseReplicaUrls,
    replicaMaxLagMs: config.replicaMaxLagMs,
    replicaCheckIntervalMs: config.replicaCheckIntervalMs,
    onPoolError: (error) => {
      if (connectionsFailing) return;
      connectionsFailing = true;
      logger.warn(databaseErrorFields(error), 'database connection failed; its statement fails with 503');
    },
    onPoolConnect: () => {
      if (!connectionsFailing) return;
      connectionsFailing = false;
      logger.info('database connections succeed again');
    },
  });

  const queueUrl =
    database.engine === 'postgres' ? String(config.databaseListenUrl ?? config.databaseUrl) : undefined;
  const prepareOn = async (db: DatabaseHandle['db']) => {
    const applied = await migrateToLatest(db);
    for (const migration of applied) logger.info({ migration: migration.migrationName }, 'migration applied');
    // The webhook queue's own schema, migrated by graphile-worker itself (PostgreSQL only).
    if (queueUrl) await migrateWebhookQueue(queueUrl, logger);
    if (config.demo && (await countArticles(db)) === 0) {
      const summary = await ingestPaths(db, [demoContentDir]);
      logger.info({ landed: summary.landed, failed: summary.failed }, 'demo content loaded');
      for (const file of summary.files) for (const problem of file.problems) logger.error(problem);
    }
  };
  // Behind a transaction pooler, migrations (a session's advisory lock and settings) go direct.
  const prepare = async () => {
    if (config.databasePooler !== 'pgbouncer-transaction' || !config.databaseListenUrl) {
      return prepareOn(database.db);
    }
    const direct = await openDatabase({
      databaseUrl: config.databaseListenUrl,
      poolSize: 1,
      acquireTimeoutMs: config.poolAcquireTimeoutMs,
      statementTimeoutMs: config.statementTimeoutMs,
    });
    try {
      await prepareOn(direct.db);
    } finally {
      await direct.close();
    }
  };

  const readiness: Readiness = { ready: false, reason: 'starting' };
  let webhooks: WebhookQueue | undefined;
  let stopped = false;
  // Deliveries run in this process once the database is prepared (PostgreSQL; BYLINE_WEBHOOK_WORKERS > 0).
  const startWebhooks = async () => {
    if (!queueUrl || config.webhookWorkers === 0 || stopped) return;
    webhooks = await startWebhookQueue({
      db: database.db,
      connectionString: queueUrl,
      concurrency: config.webhookWorkers,
      timeoutMs: config.webhookTimeoutMs,
      retrySchedule: config.webhookRetrySchedule,
      allowedNetworks: config.webhookAllowedNetworks,
      logger,
      onOutcome: (outcome) => gateway?.metrics.webhookDeliveries.inc({ outcome }),
    });
  };
  let firstFailure: unknown;
  try {
    await prepare();
    readiness.ready = true;
  } catch (error) {
    if (database.engine !== 'postgres' || !isDatabaseUnavailable(error)) {
      await database.close();
      throw error;
    }
    firstFailure = error;
  }

  let gateway: Gateway | undefined;
  let url: string;
  try {
    gateway = await createGateway({ config, database, logger, readiness, processMetrics: true });
    url = await gateway.listen(config.port, config.host);
  } catch (error) {
    // A listen that failed (port in use) leaves the gateway's listeners and timers holding the process.
    await gateway?.close(0).catch(() => undefined);
    await database.close();
    throw error;
  }
  const listening = gateway;
  if (readiness.ready) {
    await startWebhooks().catch((error: unknown) =>
      logger.error({ err: error }, 'webhook queue failed to start'),
    );
  }
  const addressFile = readiness.ready ? await leaveAddressForCli(config, database, url, logger) : undefined;

  let retry: NodeJS.Timeout | undefined;
  if (!readiness.ready) {
    // Logged when the reason changes (unreachable, then a failing migration…), never per attempt.
    let reported = '';
    const failed = (error: unknown) => {
      const fields = databaseErrorFields(error);
      const unavailable = isDatabaseUnavailable(error);
      readiness.reason = unavailable ? `database unreachable: ${fields.message}` : fields.message;
      const signature = `${fields.code ?? ''} ${fields.message}`;
      if (signature === reported) return;
      reported = signature;
      if (unavailable) logger.warn(fields, 'database unavailable; serving 503 and retrying until it answers');
      else logger.error(fields, 'preparing the database failed; serving 503 and retrying');
    };
    failed(firstFailure);
    let delay = RETRY_FIRST_MS;
    const attempt = () => {
      retry = undefined;
      prepare().then(
        () => {
          if (stopped) return;
          readiness.ready = true;
          readiness.reason = '';
          logger.info('database prepared; serving');
          startWebhooks().catch((error: unknown) =>
            logger.error({ err: error }, 'webhook queue failed to start'),
          );
        },
        (error: unknown) => {
          if (stopped) return;
          failed(error);
          retry = setTimeout(attempt, delay);
          delay = Math.min(delay * 2, RETRY_MAX_MS);
        },
      );
    };
    retry = setTimeout(attempt, delay);
  }

  return {
    url,
    gateway: listening,
    database,
    readiness,
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      const grace = config.shutdownGraceMs;
      // Statements still running near the end of the grace period are cut, a moment before the
      // sockets close, so their requests still answer (503, retry elsewhere) rather than reset.
      const interrupt = setTimeout(() => database.interrupt(), Math.max(0, grace - ANSWER_MS));
      const deadline = Date.now() + grace;
      try {
        await listening.close(grace);
      } finally {
        clearTimeout(interrupt);
      }
      if (addressFile) removeServerAddress(addressFile);
      // Jobs in flight finish (graphile-worker's graceful stop); what is left waits in the queue.
      await webhooks
        ?.stop()
        .catch((error: unknown) => logger.warn({ err: error }, 'webhook queue stop failed'));
      await database.close(Math.max(0, deadline - Date.now()));
    },
  };
}

/**
 * On embedded PGlite this process is the only writer of its database, so the CLI on this machine
 * must write through it: it finds the address and a key of its own (every scope) in a file only
 * this user can read (BYLINE_RUNTIME_DIR). Returns the file, removed again on stop.
 */
async function leaveAddressForCli(
  config: Config,
  database: DatabaseHandle,
  url: string,
  logger: Logger,
): Promise<string | undefined> {
  if (database.engine !== 'pglite') return undefined;
  const listening = new URL(url);
  if (listening.hostname === '0.0.0.0' || listening.hostname === '[::]') listening.hostname = '127.0.0.1';
  const file = serverAddressFile(config.runtimeDir, Number(listening.port));
  try {
    const key = await issueLocalCliKey(database.db);
    writeServerAddress(file, {
      pid: process.pid,
      url: listening.origin,
      key,
      dataDir: config.dataDir ?? null,
    });
    return file;
  } catch (error) {
    logger.warn(
      { err: error, file },
      'could not leave the address file for the CLI; byline ingest will not find this server',
    );
    return undefined;
  }
}
