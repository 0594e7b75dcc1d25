import { fileURLToPath } from 'node:url';
import type { Config } from '../config.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { openDatabase, type DatabaseHandle } from '../db/open-database.ts';
import { countArticles } from '../ingest/ingest.repository.ts';
import { ingestPaths } from '../ingest/ingest-paths.ts';
import type { Logger } from '../shared/logger.ts';
import { createGateway, type Gateway } from './create-gateway.ts';

export const demoContentDir = fileURLToPath(new URL('../../content/demo/', import.meta.url));

export interface RunningGateway {
  readonly url: string;
  readonly gateway: Gateway;
  readonly database: DatabaseHandle;
  /** Graceful stop: in-flight requests finish (within the grace period), then the pool closes. */
  stop(): Promise<void>;
}

/** Opens the database, applies pending migrations, loads the demo into an empty one, and listens. */
export async function startGateway(config: Config, logger: Logger): Promise<RunningGateway> {
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.poolSize,
    preparedStatements: config.preparedStatements,
    acquireTimeoutMs: config.poolAcquireTimeoutMs,
    statementTimeoutMs: config.statementTimeoutMs,
    idleInTransactionTimeoutMs: config.idleInTransactionTimeoutMs,
    onPoolError: (error) => logger.warn({ err: error }, 'idle database connection failed'),
  });
  let gateway: Gateway | undefined;
  try {
    const applied = await migrateToLatest(database.db);
    for (const migration of applied) logger.info({ migration: migration.migrationName }, 'migration applied');
    if (config.demo && (await countArticles(database.db)) === 0) {
      const summary = await ingestPaths(database.db, [demoContentDir]);
      logger.info({ landed: summary.landed, failed: summary.failed }, 'demo content loaded');
      for (const file of summary.files) for (const problem of file.problems) logger.error(problem);
    }
    gateway = await createGateway({ config, database, logger });
    const url = await gateway.listen(config.port, config.host);
    const listening = gateway;
    return {
      url,
      gateway: listening,
      database,
      stop: async () => {
        await listening.close(config.shutdownGraceMs);
        await database.close();
      },
    };
  } catch (error) {
    // A listen that failed (port in use) leaves the gateway's listeners and timers holding the process.
    await gateway?.close(0).catch(() => undefined);
    await database.close();
    throw error;
  }
}
