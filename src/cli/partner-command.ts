import { migrateToLatest } from '../db/migrate.ts';
import { openDatabase } from '../db/open-database.ts';
import { runPartnerCommand } from '../modules/partners/partner-command.ts';
import type { RunCommand } from './command.ts';

export const runPartner: RunCommand = async (_args, config, _flags, argv) => {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(database.db);
    return await runPartnerCommand(database.db, argv, console);
  } finally {
    await database.close();
  }
};
