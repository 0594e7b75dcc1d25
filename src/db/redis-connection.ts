import { Redis } from 'ioredis';
import type { Logger } from '../shared/logger.ts';

export type RedisState = 'ready' | 'unreachable';

/**
 * The gateway's one Redis connection (rate-limit buckets, response cache), built so that an outage
 * of Redis never becomes one of the API: commands fail at once while disconnected (no offline
 * queue, no per-command retries) and after `commandTimeoutMs` when Redis hangs; the client
 * reconnects in the background. Callers treat a failed command as "no Redis" (allow, miss).
 */
export interface RedisConnection {
  readonly client: Redis;
  /** Runs one command, recording whether Redis answered (for `state` and the outage log lines). */
  run<T>(command: (client: Redis) => Promise<T>): Promise<T>;
  /** Unreachable from the first failed command or lost connection until Redis answers again. */
  state(): RedisState;
  /**
   * Resolves once the first connection attempt has settled (ready, refused, or `timeoutMs` passed), so
   * a gateway starts with its limits in force when Redis is there, and without delay when it is not.
   */
  settled(timeoutMs: number): Promise<RedisState>;
  close(): Promise<void>;
}

export interface RedisConnectionOptions {
  readonly commandTimeoutMs: number;
  readonly logger: Logger;
  /** Called on each change of `state()`. */
  readonly onStateChange?: (state: RedisState) => void;
}

export function openRedisConnection(url: URL, options: RedisConnectionOptions): RedisConnection {
  const { logger } = options;
  // https://github.com/redis/ioredis#offline-queue and #auto-reconnect: without the offline queue a
  // command sent while disconnected rejects immediately instead of waiting for the reconnection.
  const client = new Redis(url.href, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // A backstop that frees commands a hung Redis never answers; requests stop waiting much sooner (`run`).
    commandTimeout: Math.max(1000, options.commandTimeoutMs * 10),
    connectTimeout: Math.max(1000, options.commandTimeoutMs),
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
  // Until the first connection is ready requests simply go without Redis; reported as unreachable.
  let state: RedisState | 'starting' = 'starting';
  const shown = `${url.hostname}:${url.port || '6379'}`;
  let closing = false;
  const become = (next: RedisState, error?: unknown) => {
    if (next === state || closing) return;
    const previous = state;
    state = next;
    options.onStateChange?.(next);
    if (next === 'ready') {
      logger.info({ redis: shown }, previous === 'starting' ? 'Redis connected' : 'Redis reachable again');
    } else {
      logger.warn(
        { redis: shown, err: error },
        'Redis unreachable: rate limits fail open and the response cache is skipped until it answers',
      );
    }
  };
  client.on('ready', () => become('ready'));
  // ioredis emits `error` for every failed reconnection attempt: only the transition is logged.
  client.on('error', (error: Error) => become('unreachable', error));
  client.on('close', () => become('unreachable', new Error('connection closed')));
  return {
    client,
    async run(command) {
      try {
        const value = await withDeadline(command(client), options.commandTimeoutMs);
        if (client.status === 'ready') become('ready');
        return value;
      } catch (error) {
        become('unreachable', error);
        throw error;
      }
    },
    settled: (timeoutMs) =>
      new Promise((resolve) => {
        if (state !== 'starting') return resolve(state);
        const done = () => {
          clearTimeout(timer);
          client.off('ready', done);
          client.off('error', done);
          resolve(state === 'ready' ? 'ready' : 'unreachable');
        };
        const timer = setTimeout(done, timeoutMs);
        client.once('ready', done);
        client.once('error', done);
      }),
    state: () => (client.status === 'ready' && state === 'ready' ? 'ready' : 'unreachable'),
    close: async () => {
      closing = true;
      // QUIT waits for a connection; a client still reconnecting is just dropped.
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}

export class RedisTimeoutError extends Error {
  override name = 'RedisTimeoutError';
}

/**
 * Rejects after `ms` unless the command answered. The rejection waits one turn of the event loop
 * (setImmediate runs after the poll phase), so a reply already received while the process was busy
 * is read first: a loaded process is not mistaken for a hung Redis.
 */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      immediate = setImmediate(() =>
        reject(
          new RedisTimeoutError(`Redis did not answer within ${ms} ms (BYLINE_REDIS_COMMAND_TIMEOUT_MS)`),
        ),
      );
    }, ms);
  });
  return Promise.race([promise, deadline]).finally(() => {
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
  });
}
