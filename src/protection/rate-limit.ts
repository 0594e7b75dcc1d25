import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { LRUCache } from 'lru-cache';
import { requestScopeOf } from '../shared/request-scope.ts';
import type { Viewer } from '../shared/viewer.ts';
import type { RedisConnection } from '../db/redis-connection.ts';
import { sendHttpError } from '../shared/send-http-error.ts';

export interface TakeResult {
  readonly allowed: boolean;
  /** Tokens left after this request (floored). */
  readonly remaining: number;
  /** When not allowed: seconds until a token is back. */
  readonly retryAfterSeconds: number;
}

/**
 * A token bucket per key: `perMinute` tokens, refilled continuously; each request takes `cost` (one
 * by default). A cost of 0 only looks: allowed while at least one token is left, nothing is taken.
 */
export interface RateLimitStore {
  take(key: string, perMinute: number, cost?: number): Promise<TakeResult>;
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
    take: async (key, perMinute, cost = 1) => {
      const now = Date.now();
      const bucket = buckets.get(key) ?? { tokens: perMinute, updated: now };
      const tokens = Math.min(perMinute, bucket.tokens + ((now - bucket.updated) * perMinute) / 60_000);
      const allowed = tokens >= 1;
      const left = allowed ? tokens - cost : tokens;
      if (cost > 0) buckets.set(key, { tokens: left, updated: now });
      return result(left, allowed, perMinute);
    },
    close: async () => undefined,
  };
}

// One round trip, atomic across instances; the clock is Redis's so instances' clocks need not agree.
const TAKE_SCRIPT = `
local capacity = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(bucket[1]) or capacity
local updated = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - updated) * capacity / 60000)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - cost
  allowed = 1
end
if cost > 0 then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
  redis.call('PEXPIRE', KEYS[1], 61000)
end
return {allowed, tostring(tokens)}
`;

/**
 * Buckets in Redis, shared by every gateway. The connection fails fast (src/db/redis-connection.ts):
 * while Redis is away `take` rejects at once or after the command timeout, and callers let the request through.
 */
export function redisRateLimitStore(redis: RedisConnection, prefix = 'byline:ratelimit:'): RateLimitStore {
  redis.client.defineCommand('bylineTakeToken', { numberOfKeys: 1, lua: TAKE_SCRIPT });
  type Take = (key: string, capacity: number, cost: number) => Promise<[number, string]>;
  return {
    take: async (key, perMinute, cost = 1) => {
      const [allowed, tokens] = await redis.run((client) =>
        (client as unknown as { bylineTakeToken: Take }).bylineTakeToken(`${prefix}${key}`, perMinute, cost),
      );
      return result(Number(tokens), allowed === 1, perMinute);
    },
    // The gateway owns the connection and closes it.
    close: async () => undefined,
  };
}

/** Requests whose token was already taken (by the cache fast lane) before Express saw them. */
const admitted = new WeakSet<IncomingMessage>();

/**
 * Takes the caller's token: sets the RateLimit headers and answers 429 itself when the bucket is
 * empty. Resolves with whether the request may go on. Usable before Express (the cache fast lane).
 */
export type Admit = (req: IncomingMessage, res: ServerResponse, viewer: Viewer) => Promise<boolean>;

export interface RateLimitHooks {
  /** A request refused with 429. */
  onReject?: (limit: 'per-key' | 'per-ip' | 'failed-auth') => void;
  /** A request let through because the store did not answer (Redis down): the limit failed open. */
  onFailOpen?: (limit: 'per-key' | 'per-ip' | 'failed-auth') => void;
  /** The address per-IP limits count by (src/shared/client-address.ts); the peer's when absent. */
  clientAddress?: (req: IncomingMessage) => string;
}

function sendRateLimited(res: ServerResponse, perMinute: number, taken: TakeResult, message: string): void {
  sendHttpError(res, 429, 'RATE_LIMITED', message, {
    headers: { 'retry-after': String(taken.retryAfterSeconds) },
    extensions: { limitPerMinute: perMinute, retryAfterSeconds: taken.retryAfterSeconds },
  });
}

/** What `RateCheck` answers: allowed, or why not and when to retry. */
export type RateCheckResult =
  | { readonly allowed: true; readonly perMinute?: number; readonly remaining?: number }
  | {
      readonly allowed: false;
      readonly perMinute: number;
      readonly remaining: number;
      readonly retryAfterSeconds: number;
      readonly message: string;
    };

/** Takes one token of the caller's bucket, whatever carries the request (HTTP, a WebSocket subscribe). */
export type RateCheck = (req: IncomingMessage, viewer: Viewer) => Promise<RateCheckResult>;

/**
 * Partners per key (their own `rateLimitPerMinute`), anonymous callers per IP
 * (`BYLINE_RATE_LIMIT_PER_MINUTE`). When the store fails (Redis down) the request goes through,
 * counted by `onFailOpen`: an outage of the limiter must not become one of the API (the connection
 * logs the outage once, not per request).
 */
export function createRateCheck(
  store: RateLimitStore,
  anonymousPerMinute: number,
  hooks: RateLimitHooks = {},
): RateCheck {
  const addressOf = hooks.clientAddress ?? peerAddress;
  return async (req, viewer) => {
    const perMinute =
      viewer.kind === 'partner' ? (viewer.rateLimitPerMinute ?? anonymousPerMinute) : anonymousPerMinute;
    if (perMinute <= 0) return { allowed: true };
    const limit = viewer.kind === 'partner' && viewer.partnerId !== null ? 'per-key' : 'per-ip';
    const key = limit === 'per-key' ? `key:${viewer.partnerId}` : `ip:${addressOf(req)}`;
    let taken: TakeResult;
    try {
      taken = await store.take(key, perMinute);
    } catch {
      hooks.onFailOpen?.(limit);
      return { allowed: true };
    }
    if (taken.allowed) return { allowed: true, perMinute, remaining: taken.remaining };
    hooks.onReject?.(limit);
    return {
      allowed: false,
      perMinute,
      remaining: taken.remaining,
      retryAfterSeconds: taken.retryAfterSeconds,
      message: `Rate limit exceeded: ${perMinute} requests per minute for this ${limit === 'per-key' ? 'key' : 'IP address'}; retry in ${taken.retryAfterSeconds} s.`,
    };
  };
}

/** `RateCheck` for HTTP: sets the RateLimit headers and answers 429 with Retry-After itself. */
export function createAdmit(check: RateCheck): Admit {
  return async (req, res, viewer) => {
    if (admitted.has(req)) return true;
    admitted.add(req);
    const checked = await check(req, viewer);
    if (checked.perMinute !== undefined && checked.remaining !== undefined) {
      res.setHeader('ratelimit-limit', String(checked.perMinute));
      res.setHeader('ratelimit-remaining', String(checked.remaining));
    }
    if (checked.allowed) return true;
    sendHttpError(res, 429, 'RATE_LIMITED', checked.message, {
      headers: { 'retry-after': String(checked.retryAfterSeconds) },
      extensions: { limitPerMinute: checked.perMinute, retryAfterSeconds: checked.retryAfterSeconds },
    });
    return false;
  };
}

/** Without trusted proxies, the peer is the client. */
function peerAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * Failed partner keys, limited per client address so a flood of guesses costs no database work:
 * `refuse` runs before the key is looked up and answers 429 once the address has failed
 * `perMinute` times in the last minute (every keyed request from it then waits, valid key or not);
 * `failed` counts one failure. Fails open like `createAdmit`.
 */
export interface FailedAuthLimit {
  refuse(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  failed(req: IncomingMessage): Promise<void>;
}

export function createFailedAuthLimit(
  store: RateLimitStore,
  perMinute: number,
  hooks: RateLimitHooks = {},
): FailedAuthLimit {
  const addressOf = hooks.clientAddress ?? peerAddress;
  const key = (req: IncomingMessage) => `authfail:${addressOf(req)}`;
  return {
    async refuse(req, res) {
      if (perMinute <= 0) return false;
      let taken: TakeResult;
      try {
        taken = await store.take(key(req), perMinute, 0);
      } catch {
        hooks.onFailOpen?.('failed-auth');
        return false;
      }
      if (taken.allowed) return false;
      hooks.onReject?.('failed-auth');
      sendRateLimited(
        res,
        perMinute,
        taken,
        `Too many failed partner keys from this IP address (more than ${perMinute} per minute); retry in ${taken.retryAfterSeconds} s.`,
      );
      return true;
    },
    async failed(req) {
      if (perMinute <= 0) return;
      await store.take(key(req), perMinute).catch(() => hooks.onFailOpen?.('failed-auth'));
    },
  };
}

/** `admit` as Express middleware, for the requests the fast lane did not take. */
export function rateLimitMiddleware(admit: Admit): RequestHandler {
  return (req, res, next) => {
    admit(req, res, requestScopeOf(res).viewer).then((allowed) => allowed && next(), next);
  };
}
