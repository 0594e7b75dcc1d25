import type { ServerResponse } from 'node:http';

export interface HttpErrorOptions {
  /** Response headers to add (Retry-After, Allow…). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Extensions beside `code` (limits, retry delays). */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/**
 * The JSON body of every failure outside GraphQL execution, shaped like a GraphQL error response
 * (https://graphql.github.io/graphql-over-http/draft/#sec-application-json) so clients read one shape.
 */
export function httpErrorBody(
  code: string,
  message: string,
  extensions: HttpErrorOptions['extensions'] = {},
) {
  return JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] });
}

/** Answers with that body. Works on plain `node:http` responses (the cache fast lane) and Express's. */
export function sendHttpError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  options: HttpErrorOptions = {},
): void {
  for (const [name, value] of Object.entries(options.headers ?? {})) res.setHeader(name, value);
  const body = httpErrorBody(code, message, options.extensions);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}
