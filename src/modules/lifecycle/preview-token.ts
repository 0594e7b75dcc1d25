import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PreviewSecret } from '../content-writer.ts';

export type { PreviewSecret };

/** Longest a preview link may live: a week. */
export const MAX_PREVIEW_SECONDS = 7 * 24 * 60 * 60;
/** A preview link's life when none is asked for: an hour. */
export const DEFAULT_PREVIEW_SECONDS = 60 * 60;

/** What a preview token names: one article, at one preview epoch, until one moment. */
export interface PreviewClaims {
  readonly articleId: number;
  readonly epoch: number;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

export const PREVIEW_SECRET_MISSING =
  'Preview links are disabled: set BYLINE_PREVIEW_SECRET (at least 32 characters) to sign them in production';

/** The configured secret; without one, a random per-process key in development, none in production. */
export function choosePreviewSecret(configured: string | undefined, production: boolean): PreviewSecret {
  if (configured !== undefined) return { ok: true, key: configured, ephemeral: false };
  if (production) return { ok: false, message: PREVIEW_SECRET_MISSING };
  return { ok: true, key: randomBytes(32).toString('base64url'), ephemeral: true };
}

const VERSION = 'p1';

function mac(key: string, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest();
}

/** `p1.<base64url payload>.<base64url HMAC-SHA256 of "p1.<payload>">`; the payload carries a nonce so no two links are equal. */
export function signPreviewToken(key: string, claims: PreviewClaims): string {
  const payload = Buffer.from(
    JSON.stringify({
      a: claims.articleId,
      e: claims.epoch,
      x: claims.expiresAt,
      n: randomBytes(12).toString('base64url'),
    }),
  ).toString('base64url');
  const signed = `${VERSION}.${payload}`;
  return `${signed}.${mac(key, signed).toString('base64url')}`;
}

/** The claims of a well-formed token with a good signature that has not expired, or why not. */
export function verifyPreviewToken(
  key: string,
  token: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): { readonly ok: true; readonly claims: PreviewClaims } | { readonly ok: false; readonly reason: string } {
  const parts = token.split('.');
  if (
    parts.length !== 3 ||
    parts[0] !== VERSION ||
    !/^[\w-]+$/.test(parts[1]!) ||
    !/^[\w-]+$/.test(parts[2]!)
  ) {
    return { ok: false, reason: 'Preview token is malformed: expected "p1.<payload>.<signature>"' };
  }
  const expected = mac(key, `${parts[0]}.${parts[1]}`);
  const given = Buffer.from(parts[2]!, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      ok: false,
      reason: 'Preview token signature does not match: it was altered or signed with another secret',
    };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'Preview token is malformed: its payload is not JSON' };
  }
  const { a, e, x } = (raw ?? {}) as Record<string, unknown>;
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(e) || !Number.isSafeInteger(x)) {
    return {
      ok: false,
      reason: 'Preview token is malformed: expected an article id, an epoch and an expiry',
    };
  }
  if ((x as number) <= nowSeconds) {
    return { ok: false, reason: `Preview token expired at ${new Date((x as number) * 1000).toISOString()}` };
  }
  return { ok: true, claims: { articleId: a as number, epoch: e as number, expiresAt: x as number } };
}
