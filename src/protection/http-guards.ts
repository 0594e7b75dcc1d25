import type { RequestHandler } from 'express';
import { getOperationAST } from 'graphql';
import { sendHttpError } from '../shared/send-http-error.ts';
import { sha256 } from '../shared/sha256.ts';
import type { ParsedDocuments } from './parsed-documents.ts';
import { variablesTextProblem, variablesValueProblem } from './variables-limits.ts';

/**
 * Refuses, with a JSON error, what GraphQL over HTTP does not allow before any work is done: methods
 * other than GET and POST, operations other than queries over GET (a GET must be safe to
 * repeat and to cache: https://graphql.github.io/graphql-over-http/draft/#sec-GET), and GET
 * variables too large or too deeply nested to walk safely (src/protection/variables-limits.ts).
 */
export function methodGuard(documents: ParsedDocuments, maxVariablesBytes: number): RequestHandler {
  // A syntax error is reported by the GraphQL pipeline, as for POST.
  const operationKind = (query: string, name: string | undefined) => {
    const document = documents.parsed(sha256(query), query);
    return document && getOperationAST(document, name)?.operation;
  };
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'POST') {
      return sendHttpError(
        res,
        405,
        'METHOD_NOT_ALLOWED',
        `Method ${req.method} is not allowed on /graphql; use GET for queries or POST.`,
        { headers: { allow: 'GET, POST' } },
      );
    }
    if (req.method === 'GET') {
      const raw = req.query['variables'];
      for (const text of Array.isArray(raw) ? raw : [raw]) {
        const problem = typeof text === 'string' ? variablesTextProblem(text, maxVariablesBytes) : undefined;
        if (problem) return sendHttpError(res, 400, 'BAD_REQUEST', problem);
      }
    }
    if (req.method === 'GET' && typeof req.query['query'] === 'string') {
      const name = typeof req.query['operationName'] === 'string' ? req.query['operationName'] : undefined;
      const kind = operationKind(req.query['query'], name);
      if (kind && kind !== 'query') {
        return sendHttpError(
          res,
          405,
          'METHOD_NOT_ALLOWED',
          `A ${kind} cannot be sent with GET; GET accepts queries only. Use POST.`,
          { headers: { allow: 'POST' } },
        );
      }
    }
    next();
  };
}

/** After body parsing: one operation per request (no JSON arrays), and a body Apollo can read. */
export const bodyGuard: RequestHandler = (req, res, next) => {
  if (Array.isArray(req.body)) {
    return sendHttpError(
      res,
      400,
      'BATCHING_NOT_SUPPORTED',
      `Batched operations are not accepted: the body is a JSON array of ${(req.body as unknown[]).length} items; send one operation (a JSON object) per request.`,
    );
  }
  const variables = (req.body as { variables?: unknown } | undefined)?.variables;
  const problem = variables === undefined ? undefined : variablesValueProblem(variables);
  if (problem) return sendHttpError(res, 400, 'BAD_REQUEST', problem);
  // Express 5 leaves `req.body` unset when no parser matched (GET, text/plain); Apollo then answers
  // its own JSON errors (CSRF, missing query) instead of complaining about middleware.
  if (!('body' in req)) (req as { body?: unknown }).body = undefined;
  next();
};
