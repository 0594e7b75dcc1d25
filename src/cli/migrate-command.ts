import { migrateDown, migrateToLatest, migrationStatus } from '../db/migrate.ts';
import { openDatabase } from '../db/open-database.ts';
import { EXIT, type RunCommand } from './command.ts';
import { migrateWebhookQueue } from '../modules/webhooks/index.ts';
import { createLogger } from '../shared/logger.ts';

export const runMigrate: RunCommand = async (args, config) => {
  const action = args[0] ?? 'up';
  if (!['up', 'down', 'status'].includes(action) || args.length > 1) {
    console.error(`byline migrate: expected up, down or status, got "${args.join(' ')}"`);
    return EXIT.usage;
  }
  // Migrations hold a session (advisory lock, settings): never through a transaction pooler.
  const database = await openDatabase({
    databaseUrl: config.databaseListenUrl ?? config.databaseUrl,
    dataDir: config.dataDir,
  });
  try {
    if (action === 'status') {
      const { migrations } = await migrationStatus(database.db);
      for (const m of migrations) console.log(`${m.executedAt ? 'applied' : 'pending'}  ${m.name}`);
      return EXIT.ok;
    }
    const results = action === 'up' ? await migrateToLatest(database.db) : await migrateDown(database.db);
    if (results.length === 0)
      console.log(action === 'up' ? 'Nothing to apply: up to date.' : 'Nothing to revert.');
    for (const r of results) console.log(`${action === 'up' ? 'applied' : 'reverted'}  ${r.migrationName}`);
    if (action === 'up' && database.engine === 'postgres') {
      // The webhook queue's schema (graphile_worker) is the library's own, migrated by it.
      await migrateWebhookQueue(String(config.databaseListenUrl ?? config.databaseUrl), createLogger('warn'));
      console.log('webhook queue (graphile_worker schema) up to date');
    }
    return EXIT.ok;
  } finally {
    await database.close();
  }
};
