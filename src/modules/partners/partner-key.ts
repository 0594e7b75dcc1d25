import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Partner API keys: `byl_<prefix>_<secret>`. The prefix (12 hex characters) is not secret: it finds
 * the row and names the key in listings. The secret is 32 random bytes, so a plain SHA-256 of the
 * whole key is enough to store (a slow hash only helps against guessable, low-entropy secrets).
 */
const KEY_FORMAT = /^byl_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface ParsedPartnerKey {
  readonly prefix: string;
  readonly key: string;
}

export interface NewPartnerKey {
  /** The key in clear: shown once to whoever created it, never stored. */
  readonly key: string;
  readonly prefix: string;
  readonly hash: string;
}

export function generatePartnerKey(): NewPartnerKey {
  const prefix = randomBytes(6).toString('hex');
  const key = `byl_${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, hash: hashPartnerKey(key) };
}

/** The key's prefix, or undefined when it is not shaped like one of our keys. */
export function parsePartnerKey(key: string): ParsedPartnerKey | undefined {
  const match = KEY_FORMAT.exec(key);
  return match ? { prefix: match[1]!, key } : undefined;
}

export function hashPartnerKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Compares in constant time, so the time taken tells nothing about how much of a hash matched. */
export function partnerKeyMatches(key: string, storedHash: string): boolean {
  const given = Buffer.from(hashPartnerKey(key), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
