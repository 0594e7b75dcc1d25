import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './waiting.ts';

const run = promisify(execFile);

/** A PostgreSQL cluster of the test's own, on its own port, that the test may stop and start. */
export interface ThrowawayPostgres {
  readonly url: string;
  readonly port: number;
  /** `pg_ctl stop`; `fast` (the default) rolls back and disconnects, `immediate` aborts as in a crash. */
  stop(mode?: ShutdownMode): Promise<void>;
  start(): Promise<void>;
  /** `pg_ctl restart` with the given shutdown mode; resolves once the server accepts connections again. */
  restart(mode?: ShutdownMode): Promise<void>;
  /** Stops the server and deletes its files. */
  destroy(): Promise<void>;
  /**
   * A streaming replica of this server (pg_basebackup -R, its own directory and port), started; its
   * `destroy` removes it alone.
   */
  startReplica(): Promise<ThrowawayPostgres>;
}

/** https://www.postgresql.org/docs/15/app-pg-ctl.html */
export type ShutdownMode = 'smart' | 'fast' | 'immediate';

const BIN_DIRS = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'];

/**
 * Creates a cluster with initdb and starts it with pg_ctl; as root, runs both as `postgres` (the
 * server refuses to run as root). Resolves with the reason instead when the binaries are missing.
 */
export async function startThrowawayPostgres(): Promise<ThrowawayPostgres | { skipped: string }> {
  const bin = BIN_DIRS.find(
    (dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')),
  );
  if (!bin) return { skipped: `initdb/pg_ctl not found in ${BIN_DIRS.join(', ')}` };
  const asRoot = process.getuid?.() === 0;
  let owner: { uid: number; gid: number } | undefined;
  if (asRoot) {
    try {
      const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
      const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
      owner = { uid, gid };
    } catch {
      return { skipped: 'running as root and no `postgres` user to run the server as' };
    }
  }
  const pg = (tool: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args])
      : run(path.join(bin, tool), args);
  const cluster = async (init: (data: string, port: number) => Promise<void>): Promise<ThrowawayPostgres> => {
    const dir = await mkdtemp(path.join(tmpdir(), 'byline-pg-'));
    if (owner) await chown(dir, owner.uid, owner.gid);
    const data = path.join(dir, 'data');
    const port = await freePort();
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=30`;
    const start = async () => {
      await pg('pg_ctl', [
        '-D',
        data,
        '-o',
        options,
        '-l',
        path.join(dir, 'server.log'),
        '-w',
        '-t',
        '60',
        'start',
      ]);
    };
    const stop = async (mode: ShutdownMode = 'fast') => {
      await pg('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
    };
    const restart = async (mode: ShutdownMode = 'fast') => {
      await pg('pg_ctl', [
        '-D',
        data,
        '-m',
        mode,
        '-o',
        options,
        '-l',
        path.join(dir, 'server.log'),
        '-w',
        '-t',
        '60',
        'restart',
      ]);
    };
    try {
      await init(data, port);
      await start();
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    return {
      url,
      port,
      start,
      stop,
      restart,
      destroy: async () => {
        await stop().catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
      },
      // https://www.postgresql.org/docs/15/app-pgbasebackup.html: -R writes standby.signal and
      // primary_conninfo, so the copy starts as a streaming replica of this server.
      startReplica: () =>
        cluster((replicaData) =>
          pg('pg_basebackup', [
            '-h',
            '127.0.0.1',
            '-p',
            String(port),
            '-U',
            'postgres',
            '-D',
            replicaData,
            '-R',
            '-X',
            'stream',
            '--no-sync',
          ]).then(() => undefined),
        ),
    };
  };
  return cluster((data) =>
    pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']).then(
      () => undefined,
    ),
  );
}
