import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort, sleep } from './waiting.ts';

const CLI = fileURLToPath(new URL('../../bin/byline.mjs', import.meta.url));

/** `byline serve` as a child process, as deployed: a crash shows as the process exiting. */
export interface BylineProcess {
  readonly pid: number;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Everything it wrote to stdout and stderr so far. */
  log(): string;
  /** Its log lines that are JSON (pino), parsed. */
  logLines(): Record<string, unknown>[];
  /** Whether it is still running. */
  alive(): boolean;
  /** Resolves when it exits, with its exit code or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal(signal: NodeJS.Signals): void;
  /** SIGKILL unless it has exited already; resolves once it has. */
  kill(): Promise<void>;
}

/**
 * Spawns `node bin/byline.mjs serve` on a free loopback port in production mode, with `env` on top,
 * and resolves once `/healthz` answers 200 (the process listens). Rejects, with its log, when it
 * exits first or does not listen within `startTimeoutMs`.
 */
export async function startBylineProcess(options: {
  readonly databaseUrl: string;
  readonly env?: Record<string, string>;
  readonly startTimeoutMs?: number;
}): Promise<BylineProcess> {
  const port = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    // Production, as deployed: Apollo installs its own signal handlers anywhere but `test`.
    NODE_ENV: 'production',
    DATABASE_URL: options.databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    BYLINE_PUBLIC_URL: `http://127.0.0.1:${port}`,
    BYLINE_DEMO: 'true',
    LOG_LEVEL: 'warn',
    BYLINE_SHUTDOWN_GRACE_MS: '3000',
    // The load loops come from one address; a limit they would hit would hide what is tested.
    BYLINE_RATE_LIMIT_PER_MINUTE: '10000000',
    BYLINE_POOL_ACQUIRE_TIMEOUT_MS: '1000',
    BYLINE_STATEMENT_TIMEOUT_MS: '3000',
    ...options.env,
  };
  if (!options.env?.['REDIS_URL']) delete env['REDIS_URL'];
  const child = spawn(process.execPath, [CLI, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += String(chunk)));
  child.stderr.on('data', (chunk) => (output += String(chunk)));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const origin = `http://127.0.0.1:${port}`;
  const handle: BylineProcess = {
    pid: child.pid!,
    port,
    origin,
    log: () => output,
    logLines: () =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    alive,
    exited,
    signal: (signal) => void child.kill(signal),
    kill: async () => {
      if (!alive()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (!alive()) {
      const { code, signal } = await exited;
      throw new Error(`byline serve exited (code ${code}, signal ${signal}) before listening:\n${output}`);
    }
    const listening = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
      (response) => response.status === 200,
      () => false,
    );
    if (listening) return handle;
    await sleep(100);
  }
  await handle.kill();
  throw new Error(
    `byline serve did not answer /healthz within ${options.startTimeoutMs ?? 60_000} ms:\n${output}`,
  );
}
