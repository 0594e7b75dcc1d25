import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, sleep, withClient } from './waiting.ts';

const run = promisify(execFile);

/** PgBouncer of the test's own on a free loopback port, in front of one PostgreSQL server. */
export interface ThrowawayPgbouncer {
  /** `url` with PgBouncer's host and port in place of the server's. */
  readonly url: string;
  readonly port: number;
  /** SIGKILL, then the same configuration on the same port again (clients' connections are cut). */
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

const BINARIES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];

/**
 * Starts `pgbouncer` with `pool_mode` (default transaction) and a server pool of `poolSize`
 * connections per database for `url`'s server (trust authentication, as the test servers use). As
 * root it runs as `postgres` (it refuses to run as root). Resolves with the reason instead when the
 * binary is missing.
 */
export async function startThrowawayPgbouncer(
  url: string,
  options: { poolMode?: 'session' | 'transaction'; poolSize?: number } = {},
): Promise<ThrowawayPgbouncer | { skipped: string }> {
  const binary = BINARIES.find((candidate) => existsSync(candidate));
  if (!binary) return { skipped: `pgbouncer not found in ${BINARIES.join(', ')} (Debian package pgbouncer)` };
  const asRoot = process.getuid?.() === 0;
  const dir = await mkdtemp(path.join(tmpdir(), 'byline-pgbouncer-'));
  let owner: { uid: number; gid: number } | undefined;
  if (asRoot) {
    try {
      const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
      const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
      owner = { uid, gid };
    } catch {
      await rm(dir, { recursive: true, force: true });
      return { skipped: 'running as root and no `postgres` user to run pgbouncer as' };
    }
    await chown(dir, owner.uid, owner.gid);
  }
  const server = new URL(url);
  const port = await freePort();
  const user = decodeURIComponent(server.username || 'postgres');
  await writeFile(path.join(dir, 'users.txt'), `"${user}" ""\n`);
  // https://www.pgbouncer.org/config.html
  await writeFile(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || '5432'}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'users.txt')}`,
      `pool_mode = ${options.poolMode ?? 'transaction'}`,
      `default_pool_size = ${options.poolSize ?? 3}`,
      'max_client_conn = 500',
      'server_reset_query =',
      'ignore_startup_parameters = extra_float_digits',
      '',
    ].join('\n'),
  );
  if (owner)
    for (const file of ['users.txt', 'pgbouncer.ini'])
      await chown(path.join(dir, file), owner.uid, owner.gid);
  const bouncerUrl = new URL(url);
  bouncerUrl.hostname = '127.0.0.1';
  bouncerUrl.port = String(port);
  let child: ChildProcess | undefined;
  let output = '';
  const start = async () => {
    const args = [path.join(dir, 'pgbouncer.ini')];
    // As root, the process itself runs as `postgres`: its pid is PgBouncer's, to be killed.
    const started = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(owner ?? {}) });
    child = started;
    started.stdout?.on('data', (chunk) => (output += String(chunk)));
    started.stderr?.on('data', (chunk) => (output += String(chunk)));
    for (let attempt = 0; attempt < 200; attempt += 1) {
      if (started.exitCode !== null) throw new Error(`pgbouncer exited before listening:\n${output}`);
      const up = await withClient(bouncerUrl.href, (client) => client.query('select 1'), 2000).then(
        () => true,
        () => false,
      );
      if (up) return;
      await sleep(50);
    }
    throw new Error(`pgbouncer did not answer within 10 s:\n${output}`);
  };
  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    await exited;
  };
  try {
    await start();
  } catch (error) {
    await kill();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: bouncerUrl.href,
    port,
    restart: async () => {
      await kill();
      await start();
    },
    destroy: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
