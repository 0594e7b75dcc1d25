import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A Redis server of the test's own, on its own port, that the test may kill and start again. */
export interface ThrowawayRedis {
  readonly url: string;
  readonly port: number;
  /** Starts the server (again) on the same port; resolves once it answers PING. */
  start(): Promise<void>;
  /** SIGKILL: the server vanishes without closing anything, as in a crash. */
  kill(): Promise<void>;
  /** Kills the server and deletes its files. */
  destroy(): Promise<void>;
}

const BINARIES = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether the server answers PING with +PONG within a short bound. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += String(chunk);
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/**
 * Runs `redis-server` in the foreground as a child of the test, without persistence (nothing to
 * recover: a restart comes back empty, as a cache and rate-limit store may). Resolves with the
 * reason instead when the binary is missing.
 */
export async function startThrowawayRedis(): Promise<ThrowawayRedis | { skipped: string }> {
  const binary = BINARIES.find((candidate) => existsSync(candidate));
  if (!binary) return { skipped: `redis-server not found in ${BINARIES.join(', ')}` };
  const dir = await mkdtemp(path.join(tmpdir(), 'byline-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let log = '';

  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    await exited;
  };

  const start = async () => {
    if (child) throw new Error(`throwaway Redis on port ${port} is already running`);
    const started = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = started;
    started.stdout?.on('data', (chunk) => (log += String(chunk)));
    started.stderr?.on('data', (chunk) => (log += String(chunk)));
    for (let attempt = 0; attempt < 200; attempt++) {
      if (started.exitCode !== null) {
        child = undefined;
        throw new Error(`redis-server on port ${port} exited with ${started.exitCode}:\n${log}`);
      }
      if (await pings(port)) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await kill();
    throw new Error(`redis-server on port ${port} did not answer PING after 200 attempts:\n${log}`);
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    kill,
    destroy: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
