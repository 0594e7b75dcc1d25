import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { RequestFinishedError } from '../db/request-database.ts';
import { describeLimitError } from '../protection/limit-messages.ts';
import { LIMIT_CODES } from '../protection/query-limits.ts';

/**
 * Error codes whose messages are written for clients and pass through as they are. Anything else
 * (a bug, a driver error, SQL) is masked: the client gets a code and the request id, the log gets
 * the rest.
 */
const CLIENT_CODES = new Set([
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'UNAUTHENTICATED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'QUERY_TOO_COMPLEX',
  'PREVIEW_LINKS_DISABLED',
  'SERVICE_UNAVAILABLE',
  'RATE_LIMITED',
  'TOO_MANY_SUBSCRIPTIONS',
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
      /Connection terminated|is not currently accepting connections|timeout exceeded when trying to connect|Client has encountered a connection error|is not queryable|cached plan must not change result type/i.test(
        current.message,
      )
    ) {
      return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Seconds a client is told to wait (`Retry-After`) when the database is unavailable. */
export const RETRY_AFTER_SECONDS = 1;

/** The client's message for an unavailable database, GraphQL and HTTP alike. */
export function unavailableMessage(requestId: string | undefined): string {
  return `Service temporarily unavailable; retry shortly (request id ${requestId ?? 'unknown'})`;
}

/**
 * What a log line may hold of a database error: its code and message. pg errors and the events that
 * carry them can reference the client (SQL text, parameters, the backend's cancel key).
 */
export function databaseErrorFields(error: unknown): { code?: string; message: string } {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? { code, message: error.message } : { message: error.message };
}

export interface ErrorReporter {
  (error: unknown, kind: 'unavailable' | 'internal' | 'abandoned'): void;
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
    // A statement after its request ended (the client went away): nobody reads this answer.
    const abandoned = original instanceof RequestFinishedError;
    const unavailable = abandoned || isDatabaseUnavailable(original);
    report(original, abandoned ? 'abandoned' : unavailable ? 'unavailable' : 'internal');
    return {
      message: unavailable
        ? unavailableMessage(requestId)
        : `Internal server error (request id ${requestId ?? 'unknown'})`,
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: unavailable ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR', requestId },
    };
  };
}
