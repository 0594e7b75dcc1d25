import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../shared/logger.ts';
import { chooseRequestId } from '../shared/request-scope.ts';
import { anonymousViewer } from '../shared/viewer.ts';
import type { Admit } from '../protection/rate-limit.ts';
import { logRequest } from '../observability/request-log.ts';
import { cacheableHeaders, type ResponseCache } from './response-cache.ts';

/**
 * Serves anonymous cache hits straight from Node's HTTP server, before Express: a hit that
 * walked Express's router, body parser and the protection middleware cost several times the lookup
 * (docs/performance.md). It does what those layers would do for such a request: request id, CORS for an anonymous
 * GET, the per-IP rate limit (counted once: Express skips a request already admitted here) and the
 * request log line. Anything else — a key, a miss, another path or method — resolves false and goes
 * to Express untouched but for the request id it keeps.
 */
export function createCacheFastLane(options: {
  readonly cache: ResponseCache;
  readonly admit: Admit;
  readonly logger: Logger;
  /** The client's address for the log line (behind trusted proxies, the forwarded one). */
  readonly clientAddress?: (req: IncomingMessage) => string;
}): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const { cache, admit, logger, clientAddress } = options;
  return async (req, res) => {
    const url = req.url ?? '';
    if (req.method !== 'GET' || !url.startsWith('/graphql?')) return false;
    const header = (name: string): string | undefined => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    };
    // Keyed callers are authenticated by Express's middleware.
    if (header('authorization') !== undefined || header('x-api-key') !== undefined) return false;
    if (!cacheableHeaders(header)) return false;
    const started = performance.now();
    const requestId = chooseRequestId(header('x-request-id'));
    // Express, should it take over, keeps this id.
    req.headers['x-request-id'] = requestId;
    res.setHeader('x-request-id', requestId);
    res.setHeader('vary', 'Origin, Authorization, X-Api-Key');
    if (header('origin') !== undefined) {
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-expose-headers', 'etag, x-request-id');
    }
    const allowed = await admit(req, res, anonymousViewer);
    const served = !allowed || (await cache.serveHit(url, header, anonymousViewer, res));
    if (served) {
      logRequest(logger, {
        requestId,
        method: 'GET',
        path: '/graphql',
        status: res.statusCode,
        durationMs: performance.now() - started,
        viewer: anonymousViewer,
        ...(clientAddress && { clientAddress: clientAddress(req) }),
      });
    }
    return served;
  };
}
