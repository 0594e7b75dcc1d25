import type { Config } from '../config.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { openDatabase, type DatabaseHandle } from '../db/open-database.ts';
import { readServerAddress, serverAddressFile } from '../shared/server-address-file.ts';

/** Where a writing command sends its writes. */
export type WriteTarget =
  | { readonly kind: 'server'; readonly url: string; readonly key: string; readonly found: string }
  | { readonly kind: 'database' }
  | { readonly kind: 'refused'; readonly message: string };

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * One writer, never a silent loss: a server named in `--server`/BYLINE_SERVER_URL, or one this
 * machine runs on PORT (its address file in BYLINE_RUNTIME_DIR), gets the writes through its API;
 * otherwise they go to the database directly — unless that database is an in-memory PGlite of this
 * command's own, which would vanish with it: refused, saying what to do.
 */
export async function chooseWriteTarget(config: Config, command: string): Promise<WriteTarget> {
  if (config.serverUrl) {
    const url = config.serverUrl.href.replace(/\/$/, '');
    const local = readServerAddress(
      serverAddressFile(config.runtimeDir, Number(config.serverUrl.port || 80)),
    );
    const key = config.apiKey ?? (local && sameOrigin(local.url, url) ? local.key : undefined);
    if (!key) {
      return {
        kind: 'refused',
        message: `byline ${command}: writing through ${url} needs a partner key with the editor scope (admin for partner commands) in BYLINE_API_KEY`,
      };
    }
    return { kind: 'server', url, key, found: 'BYLINE_SERVER_URL' };
  }
  const local = readServerAddress(serverAddressFile(config.runtimeDir, config.port));
  if (local && (await answers(local.url))) {
    return {
      kind: 'server',
      url: local.url,
      key: config.apiKey ?? local.key,
      found: `the server on port ${config.port} (pid ${local.pid})`,
    };
  }
  if (config.databaseUrl || config.dataDir) return { kind: 'database' };
  const defaultUrl = `http://localhost:${config.port}`;
  const running = await answers(defaultUrl);
  if (running && config.apiKey) {
    return { kind: 'server', url: defaultUrl, key: config.apiKey, found: `the server at ${defaultUrl}` };
  }
  return {
    kind: 'refused',
    message: [
      `byline ${command}: refusing to write to an in-memory database: DATABASE_URL and BYLINE_DATA_DIR are unset, so this command would write to a PGlite of its own that vanishes when it exits, and no server would ever see it.`,
      running
        ? `A server answers at ${defaultUrl} but left no key for this command: set BYLINE_SERVER_URL=${defaultUrl} and BYLINE_API_KEY to a key with the editor scope (admin for partner commands).`
        : `Start the server first (npm start): this command then writes through it. Or set BYLINE_SERVER_URL (with BYLINE_API_KEY) for a server elsewhere, DATABASE_URL for PostgreSQL, or BYLINE_DATA_DIR for a PGlite directory no server holds.`,
    ].join('\n'),
  };
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/**
 * The database a writing command writes to, migrated first. Behind a transaction pooler the
 * migration (a session's advisory lock and settings) goes through the direct DATABASE_LISTEN_URL,
 * as `byline serve` does; the writes go through the pooler.
 */
export async function openWriteDatabase(config: Config): Promise<DatabaseHandle> {
  const throughPooler = config.databasePooler === 'pgbouncer-transaction' && config.databaseListenUrl;
  if (throughPooler) {
    const direct = await openDatabase({ databaseUrl: config.databaseListenUrl, poolSize: 1 });
    try {
      await migrateToLatest(direct.db);
    } finally {
      await direct.close();
    }
  }
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    pooler: config.databasePooler,
  });
  if (throughPooler) return database;
  try {
    await migrateToLatest(database.db);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

/** A command's arguments without `--server`, which the command table reads (it sets BYLINE_SERVER_URL). */
export function withoutServerFlag(argv: readonly string[]): string[] {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--server') i += 1;
    else if (!argv[i]!.startsWith('--server=')) rest.push(argv[i]!);
  }
  return rest;
}
