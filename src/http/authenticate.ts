import type { Kysely } from 'kysely';
import type { Request, RequestHandler, Response } from 'express';
import type { Database } from '../db/database.ts';
import type { FailedAuthLimit } from '../protection/rate-limit.ts';
import type { ViewerResolver } from '../protection/viewer-seam.ts';
import type { Viewer } from '../shared/viewer.ts';
import { requestScopeOf } from '../shared/request-scope.ts';
import { sendHttpError } from '../shared/send-http-error.ts';
import {
  findPartnerByKeyPrefix,
  originBelongsToActivePartner,
  parsePartnerKey,
  partnerKeyMatches,
  viewerForPartner,
} from '../modules/partners/index.ts';

async function refuse(db: Kysely<Database>, req: Request, res: Response, message: string): Promise<void> {
  // A partner's page may read why its key failed (CORS would otherwise hide the 401 body).
  const origin = req.get('origin');
  res.vary('Origin');
  if (origin && (await originBelongsToActivePartner(db, origin))) {
    res.setHeader('Access-Control-Allow-Origin', origin);
  }
  sendHttpError(res, 401, 'UNAUTHENTICATED', message, {
    // https://www.rfc-editor.org/rfc/rfc6750#section-3
    headers: { 'www-authenticate': 'Bearer realm="byline", error="invalid_token"' },
  });
}

/** The key a request carries, or null for none; a header that is there but empty or odd is an error. */
export function presentedKey(
  authorization: string | undefined,
  apiKey: string | undefined,
): string | null | Error {
  if (authorization !== undefined && apiKey !== undefined) {
    return new Error(
      'Send the partner key in one header, "Authorization: Bearer <key>" or "x-api-key", not both',
    );
  }
  if (apiKey !== undefined) return apiKey.trim();
  if (authorization === undefined) return null;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  if (!match) return new Error('Authorization header: expected "Bearer <partner key>"');
  return match[1]!;
}

/**
 * The viewer a presented partner key stands for, with its prefix (to notice a rotation later), or
 * why it stands for none: malformed, unknown or revoked. HTTP requests and WebSocket connections
 * (`connectionParams`) both resolve keys here.
 */
export async function resolvePartnerKey(
  db: Kysely<Database>,
  key: string,
): Promise<{ readonly viewer: Viewer; readonly keyPrefix: string } | string> {
  const parsed = parsePartnerKey(key);
  if (!parsed) return 'Partner key is malformed: expected "byl_<12 hex>_<43 characters>"';
  const partner = await findPartnerByKeyPrefix(db, parsed.prefix);
  if (!partner || !partnerKeyMatches(parsed.key, partner.key_hash)) return 'Partner key is not valid';
  if (partner.revoked_at !== null) return 'Partner key has been revoked';
  return { viewer: viewerForPartner(partner), keyPrefix: parsed.prefix };
}

/**
 * The one step that decides who asks, on the paths where a partner key counts: a partner key
 * (`Authorization: Bearer <key>` or `x-api-key`) becomes the request scope's viewer; no key leaves it
 * anonymous (or asks `withoutKey`, the tests' seam). A key that is malformed, unknown or revoked:
 * 401, never a silent fallback to anonymous. The partner row is read on every keyed request (one lookup on a unique index), so a
 * revocation or rotation — even from the CLI in another process — takes effect on the next request.
 * A client address whose keys keep failing gets 429 before any lookup (`failedAuth`).
 */
export function createAuthenticate(
  db: Kysely<Database>,
  options: { readonly failedAuth?: FailedAuthLimit; readonly withoutKey?: ViewerResolver | undefined } = {},
): RequestHandler {
  const { failedAuth, withoutKey } = options;
  return async (req, res, next) => {
    const key = presentedKey(req.get('authorization'), req.get('x-api-key'));
    if (key === null) {
      if (!withoutKey) return next();
      try {
        requestScopeOf(res).viewer = await withoutKey(req);
        return next();
      } catch (error) {
        return next(error);
      }
    }
    if (failedAuth && (await failedAuth.refuse(req, res))) return;
    const unauthenticated = async (db: Kysely<Database>, req: Request, res: Response, message: string) => {
      await failedAuth?.failed(req);
      await refuse(db, req, res, message);
    };
    try {
      if (key instanceof Error) return await unauthenticated(db, req, res, key.message);
      const resolved = await resolvePartnerKey(db, key);
      if (typeof resolved === 'string') return await unauthenticated(db, req, res, resolved);
      requestScopeOf(res).viewer = resolved.viewer;
      next();
    } catch (error) {
      next(error);
    }
  };
}
