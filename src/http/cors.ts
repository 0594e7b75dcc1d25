import type { Kysely } from 'kysely';
import type { RequestHandler } from 'express';
import type { Database } from '../db/database.ts';
import { requestScopeOf } from '../shared/request-scope.ts';
import { originBelongsToActivePartner } from '../modules/partners/index.ts';

const PARTNER_HEADERS = 'authorization, x-api-key, content-type, apollo-require-preflight';
const PUBLIC_HEADERS = 'content-type, apollo-require-preflight';

/**
 * CORS (https://fetch.spec.whatwg.org/#http-cors-protocol). Runs after `authenticate`.
 * - Keyed requests: `Access-Control-Allow-Origin` only when the Origin is one of the key's origins.
 * - Anonymous GETs (public content): `*`. Anonymous POSTs get no CORS header: browsers on other sites
 *   may read public content by GET, and write-shaped requests stay same-origin.
 * - Preflights carry no key, so an origin listed by any live partner gets the partner headers;
 *   any other origin may only preflight a GET without credentials headers.
 */
export function createCors(db: Kysely<Database>): RequestHandler {
  return async (req, res, next) => {
    res.vary('Origin');
    const origin = req.get('origin');
    if (req.method === 'OPTIONS' && req.get('access-control-request-method')) {
      try {
        const method = req.get('access-control-request-method')!.toUpperCase();
        res.setHeader('Access-Control-Max-Age', '600');
        if (origin && (await originBelongsToActivePartner(db, origin))) {
          res.setHeader('Access-Control-Allow-Origin', origin);
          res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
          res.setHeader('Access-Control-Allow-Headers', PARTNER_HEADERS);
        } else if (method === 'GET') {
          res.setHeader('Access-Control-Allow-Origin', '*');
          res.setHeader('Access-Control-Allow-Methods', 'GET, OPTIONS');
          res.setHeader('Access-Control-Allow-Headers', PUBLIC_HEADERS);
        }
        res.status(204).end();
      } catch (error) {
        next(error);
      }
      return;
    }
    if (origin) {
      const { viewer } = requestScopeOf(res);
      if (viewer.kind === 'partner') {
        if (viewer.origins.includes(origin)) res.setHeader('Access-Control-Allow-Origin', origin);
      } else if (req.method === 'GET' || req.method === 'HEAD') {
        res.setHeader('Access-Control-Allow-Origin', '*');
      }
      res.setHeader('Access-Control-Expose-Headers', 'etag, x-request-id');
    }
    next();
  };
}
