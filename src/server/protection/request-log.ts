import type { RequestHandler } from 'express';
import type { Logger } from '../../shared/logger.ts';
import { viewerOf } from '../../shared/viewer.ts';

/**
 * One structured line per request, after it ends, with its request id. Deliberately no headers,
 * query string or body: credentials, keys and personal data travel there.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      const viewer = viewerOf(res);
      logger.info(
        {
          requestId: res.locals['requestId'],
          method: req.method,
          // Path only: the query string may carry variables.
          path: req.originalUrl.split('?')[0],
          status: res.statusCode,
          durationMs: Math.round((performance.now() - started) * 100) / 100,
          viewer:
            viewer.kind === 'partner'
              ? { kind: 'partner', partnerId: viewer.partnerId }
              : { kind: 'anonymous' },
        },
        'request',
      );
    });
    next();
  };
}
