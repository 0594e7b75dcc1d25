import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../../shared/logger.ts';
import { viewerOf, type Viewer } from '../../shared/viewer.ts';

export interface TakeResult {
  readonly allowed: boolean;
  /** Tokens left after this request (floored). */
  readonly remaining: number;
  /** When not allowed: seconds until a token is back. */
  readonly retryAfterSeconds: number;
}

/** A token bucket per key: `perMinute` tokens, refilled continuously; each request takes one. */
export interface RateLimitStore {
  take(key: string, perMinute: number): Promise<TakeResult>;
  close(): Promise<void>;
}

function result(tokens: number, allowed: boolean, perMinute: number): TakeResult {
  const perSecond = perMinute / 60;
  return {
    allowed,
    remaining: Math.max(0, Math.floor(tokens)),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / perSecond)),
  };
}

export function memoryRateLimitStore(): RateLimitStore {
  const buckets = new LRUCache<string, { tokens: number; updated: number }>({ max: 100_000 });
  return {
    take: async (key, perMinute) => {
      const now = Date.now();
      const bucket = buckets.get(key) ?? { tokens: perMinute, updated: now };
      const tokens = Math.min(perMinute, bucket.tokens + ((now - bucket.updated) * perMinute) / 60_000);
      const allowed = tokens >= 1;
      const left = allowed ? tokens - 1 : tokens;
      buckets.set(key, { tokens: left, updated: now });
      return result(left, allowed, perMinute);
    },
    close: async () => undefined,
  };
}

// One round trip, atomic across instances; the clock is Redis's so instances' clocks need not agree.
const TAKE_SCRIPT = `
local capacity = tonumber(ARGV[1])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(bucket[1]) or capacity
local updated = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - updated) * capacity / 60000)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], 61000)
return {allowed, tostring(tokens)}
`;

export function redisRateLimitStore(
  url: string,
  logger: Logger,
  prefix = 'byline:ratelimit:',
): RateLimitStore {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: false });
  redis.on('error', (error) => logger.warn({ err: error }, 'rate-limit Redis error'));
  redis.defineCommand('bylineTakeToken', { numberOfKeys: 1, lua: TAKE_SCRIPT });
  const take = (
    redis as unknown as { bylineTakeToken(key: string, capacity: number): Promise<[number, string]> }
  ).bylineTakeToken;
  return {
    take: async (key, perMinute) => {
      const [allowed, tokens] = await take.call(redis, `${prefix}${key}`, perMinute);
      return result(Number(tokens), allowed === 1, perMinute);
    },
    close: async () => {
      // QUIT waits for a connection; a client still reconnecting is just dropped.
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}

/** Requests whose token was already taken (by the cache fast lane) before Express saw them. */
const admitted = new WeakSet<IncomingMessage>();

/**
 * Takes the caller's token: sets the RateLimit headers and answers 429 itself when the bucket is
 * empty. Resolves with whether the request may go on. Usable before Express (the cache fast lane).
 */
export type Admit = (
  req: IncomingMessage,
  res: ServerResponse,
  viewer: Viewer,
  requestId: string,
) => Promise<boolean>;

/**
 * 429 with Retry-After once a caller's bucket is empty: partners per key (their own
 * `rateLimitPerMinute`), anonymous callers per IP (`BYLINE_RATE_LIMIT_PER_MINUTE`). When the store
 * fails (Redis down) the request goes through: an outage of the limiter must not become one of the API.
 */
export function createAdmit(
  store: RateLimitStore,
  anonymousPerMinute: number,
  logger: Logger,
  onReject?: (limit: 'per-key' | 'per-ip') => void,
): Admit {
  return async (req, res, viewer, requestId) => {
    if (admitted.has(req)) return true;
    const perMinute =
      viewer.kind === 'partner' ? (viewer.rateLimitPerMinute ?? anonymousPerMinute) : anonymousPerMinute;
    admitted.add(req);
    if (perMinute <= 0) return true;
    const key =
      viewer.kind === 'partner' && viewer.partnerId !== null
        ? `key:${viewer.partnerId}`
        : `ip:${req.socket.remoteAddress ?? 'unknown'}`;
    let taken: TakeResult;
    try {
      taken = await store.take(key, perMinute);
    } catch (error) {
      logger.warn({ err: error, requestId }, 'rate limiter unavailable; request allowed');
      return true;
    }
    res.setHeader('ratelimit-limit', String(perMinute));
    res.setHeader('ratelimit-remaining', String(taken.remaining));
    if (taken.allowed) return true;
    res.setHeader('retry-after', String(taken.retryAfterSeconds));
    onReject?.(key.startsWith('key:') ? 'per-key' : 'per-ip');
    res.statusCode = 429;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(
      JSON.stringify({
        errors: [
          {
            message: `Rate limit exceeded: ${perMinute} requests per minute for this ${key.startsWith('key:') ? 'key' : 'IP address'}; retry in ${taken.retryAfterSeconds} s.`,
            extensions: {
              code: 'RATE_LIMITED',
              limitPerMinute: perMinute,
              retryAfterSeconds: taken.retryAfterSeconds,
            },
          },
        ],
      }),
    );
    return false;
  };
}

/** `admit` as Express middleware, for the requests the fast lane did not take. */
export function rateLimitMiddleware(admit: Admit): RequestHandler {
  return (req, res, next) => {
    admit(req, res, viewerOf(res), res.locals['requestId'] as string).then(
      (allowed) => allowed && next(),
      next,
    );
  };
}
