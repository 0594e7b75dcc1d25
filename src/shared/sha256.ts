import { createHash } from 'node:crypto';

/** Hex sha256 of UTF-8 text: the hash APQ and the operations manifest name documents by. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
