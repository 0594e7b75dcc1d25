import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from '../shared/logger.ts';
import { requestScopeOf } from '../shared/request-scope.ts';
import type { Viewer } from '../shared/viewer.ts';
import { traceLogFields } from '../shared/tracing.ts';

export interface RequestLogLine {
  readonly requestId: string;
  readonly method: string;
  /** Path only: the query string may carry variables. */
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  readonly viewer: Viewer;
  /** The client's address (behind trusted proxies, the forwarded one). */
  readonly clientAddress?: string;
  /** The request span's ids when tracing is on (taken while it is active: the line is written later). */
  readonly trace?: { trace_id?: string; span_id?: string };
}

/**
 * One structured line per request, after it ends, with its request id. Deliberately no headers,
 * query string or body: credentials, keys and personal data travel there.
 */
export function logRequest(logger: Logger, line: RequestLogLine): void {
  logger.info(
    {
      ...line.trace,
      requestId: line.requestId,
      method: line.method,
      path: line.path,
      status: line.status,
      durationMs: Math.round(line.durationMs * 100) / 100,
      ...(line.clientAddress !== undefined && { clientAddress: line.clientAddress }),
      viewer:
        line.viewer.kind === 'partner'
          ? { kind: 'partner', partnerId: line.viewer.partnerId }
          : { kind: 'anonymous' },
    },
    'request',
  );
}

export function requestLog(logger: Logger, clientAddress?: (req: IncomingMessage) => string): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const trace = traceLogFields();
    res.on('finish', () => {
      const { requestId, viewer } = requestScopeOf(res);
      logRequest(logger, {
        requestId,
        method: req.method,
        path: req.originalUrl.split('?')[0]!,
        status: res.statusCode,
        durationMs: performance.now() - started,
        viewer,
        ...(clientAddress && { clientAddress: clientAddress(req) }),
        trace,
      });
    });
    next();
  };
}
