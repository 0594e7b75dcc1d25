import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { describeLimitError } from './protection/limit-messages.ts';
import { LIMIT_CODES } from './protection/query-limits.ts';

/**
 * Error codes whose messages are written for clients and pass through as they are. Anything else
 * (a bug, a driver error, SQL) is masked: the client gets a code and the request id, the log gets
 * the rest.
 */
const CLIENT_CODES = new Set([
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'QUERY_TOO_COMPLEX',
  'SERVICE_UNAVAILABLE',
  ...LIMIT_CODES,
]);

/** Node and pg error codes that mean the database cannot be reached, not that the query is wrong. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000', // connection_exception
  '08003',
  '08006',
  '08001',
  '08004',
  '53300', // too_many_connections
  '57014', // query_canceled (statement_timeout)
]);

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (
      /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
        current.message,
      )
    ) {
      return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export interface ErrorReporter {
  (error: unknown, kind: 'unavailable' | 'internal'): void;
}

export function createFormatError(getRequestId: () => string | undefined, report: ErrorReporter) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const code = formatted.extensions?.['code'];
    const requestId = getRequestId();
    const limit = describeLimitError(formatted, error);
    if (limit) return limit;
    // By code, not `instanceof GraphQLError`: Apollo may hold another copy of graphql-js (CJS vs ESM).
    // Apollo codes anything that is not a GraphQLError INTERNAL_SERVER_ERROR, so no driver error passes.
    if (typeof code === 'string' && CLIENT_CODES.has(code)) {
      // graphql-js's own messages never hold secrets; keep everything but internals.
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions: { ...extensions, code } };
    }
    const unavailable = isDatabaseUnavailable(original);
    report(original, unavailable ? 'unavailable' : 'internal');
    return {
      message: unavailable
        ? `Service temporarily unavailable; retry shortly (request id ${requestId ?? 'unknown'})`
        : `Internal server error (request id ${requestId ?? 'unknown'})`,
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: unavailable ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR', requestId },
    };
  };
}
