import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, sleep } from './waiting.ts';

/** HAProxy of the test's own on a free loopback port, balancing round-robin over `byline serve` instances. */
export interface ThrowawayHaproxy {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Each server's state as HAProxy's health checks see it (`UP`, `DOWN`, …) and requests sent to it, by name. */
  serverStates(): Promise<Record<string, { status: string; sessions: number }>>;
  destroy(): Promise<void>;
}

const BINARIES = ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy', '/usr/bin/haproxy'];

/**
 * Starts `haproxy` in the foreground (`-db`) with one HTTP backend of `servers` (name → port),
 * checked on /healthz every 200 ms; a refused connection is retried on another server
 * (`option redispatch`). Resolves with the reason instead when the binary is missing.
 */
export async function startThrowawayHaproxy(
  servers: Record<string, number>,
): Promise<ThrowawayHaproxy | { skipped: string }> {
  const binary = BINARIES.find((candidate) => existsSync(candidate));
  if (!binary) return { skipped: `haproxy not found in ${BINARIES.join(', ')} (Debian package haproxy)` };
  const dir = await mkdtemp(path.join(tmpdir(), 'byline-haproxy-'));
  const port = await freePort();
  const statsPort = await freePort();
  // https://docs.haproxy.org/2.6/configuration.html
  const config = [
    'global',
    '  maxconn 512',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    // A loaded machine answers health checks slowly; a dead instance refuses at once all the same.
    '  timeout check 5s',
    '  retries 3',
    '  option redispatch',
    // A request an instance took and then died on is retried elsewhere when it is a GET (read only);
    // a POST might be a write, so it fails at the proxy instead (502, or the connection closed).
    '  retry-on conn-failure empty-response response-timeout',
    '  option http-buffer-request',
    'frontend byline',
    `  bind 127.0.0.1:${port}`,
    // As a real deployment would: the client address for the instances' rate limits and logs.
    '  option forwardfor',
    '  default_backend instances',
    'backend instances',
    '  balance roundrobin',
    '  http-request disable-l7-retry if METH_POST',
    '  option httpchk GET /healthz',
    '  default-server inter 200ms fall 2 rise 2',
    ...Object.entries(servers).map(([name, serverPort]) => `  server ${name} 127.0.0.1:${serverPort} check`),
    'frontend stats',
    `  bind 127.0.0.1:${statsPort}`,
    '  stats enable',
    '  stats uri /stats',
    '',
  ].join('\n');
  const file = path.join(dir, 'haproxy.cfg');
  await writeFile(file, config);
  const child: ChildProcess = spawn(binary, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += String(chunk)));
  child.stderr?.on('data', (chunk) => (output += String(chunk)));
  const exited = once(child, 'exit');
  const origin = `http://127.0.0.1:${port}`;
  const serverStates = async (): Promise<Record<string, { status: string; sessions: number }>> => {
    const response = await fetch(`http://127.0.0.1:${statsPort}/stats;csv`);
    const [header, ...rows] = (await response.text()).split('\n');
    const columns = (header ?? '').replace(/^# /, '').split(',');
    const [pxname, svname, status, stot] = ['pxname', 'svname', 'status', 'stot'].map((name) =>
      columns.indexOf(name),
    );
    const states: Record<string, { status: string; sessions: number }> = {};
    for (const row of rows) {
      const cells = row.split(',');
      if (cells[pxname!] === 'instances' && cells[svname!] && !/^(FRONTEND|BACKEND)$/.test(cells[svname!]!)) {
        states[cells[svname!]!] = { status: cells[status!]!.split(' ')[0]!, sessions: Number(cells[stot!]) };
      }
    }
    return states;
  };
  const destroy = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  // Listening once the stats page answers.
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (child.exitCode !== null) {
      await destroy();
      throw new Error(`haproxy exited before listening:\n${output}`);
    }
    const up = await serverStates().then(
      () => true,
      () => false,
    );
    if (up) return { origin, serverStates, destroy };
    await sleep(50);
  }
  await destroy();
  throw new Error(`haproxy did not listen within 10 s:\n${output}`);
}
