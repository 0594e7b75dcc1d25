import type { RequestHandler } from 'express';
import { getOperationAST, parse } from 'graphql';

function sendError(
  res: Parameters<RequestHandler>[1],
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}

/**
 * Refuses, with a JSON error, what GraphQL over HTTP does not allow before any work is done: methods
 * other than GET and POST, and operations other than queries over GET (a GET must be safe to
 * repeat and to cache: https://graphql.github.io/graphql-over-http/draft/#sec-GET).
 */
export function methodGuard(maxTokens: number): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'POST') {
      return sendError(
        res,
        405,
        'METHOD_NOT_ALLOWED',
        `Method ${req.method} is not allowed on /graphql; use GET for queries or POST.`,
        { allow: 'GET, POST' },
      );
    }
    if (req.method === 'GET' && typeof req.query['query'] === 'string') {
      let kind: string | undefined;
      try {
        const document = parse(req.query['query'], { maxTokens });
        const name = typeof req.query['operationName'] === 'string' ? req.query['operationName'] : undefined;
        kind = getOperationAST(document, name)?.operation;
      } catch {
        // A syntax error is reported by the GraphQL pipeline, as for POST.
      }
      if (kind && kind !== 'query') {
        return sendError(
          res,
          405,
          'METHOD_NOT_ALLOWED',
          `A ${kind} cannot be sent with GET; GET accepts queries only. Use POST.`,
          { allow: 'POST' },
        );
      }
    }
    next();
  };
}

/** After body parsing: one operation per request (no JSON arrays), and a body Apollo can read. */
export const bodyGuard: RequestHandler = (req, res, next) => {
  if (Array.isArray(req.body)) {
    return sendError(
      res,
      400,
      'BATCHING_NOT_SUPPORTED',
      `Batched operations are not accepted: the body is a JSON array of ${(req.body as unknown[]).length} items; send one operation (a JSON object) per request.`,
    );
  }
  // Express 5 leaves `req.body` unset when no parser matched (GET, text/plain); Apollo then answers
  // its own JSON errors (CSRF, missing query) instead of complaining about middleware.
  if (!('body' in req)) (req as { body?: unknown }).body = undefined;
  next();
};
