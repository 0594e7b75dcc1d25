/** A running gateway the CLI writes through (src/cli/write-target.ts), spoken to over its GraphQL API. */
export interface ServerTarget {
  readonly url: string;
  readonly key: string;
}

/** The server answered, but not with data: the message says what it said. */
export class ServerRequestError extends Error {
  override name = 'ServerRequestError';
  readonly status: number;
  readonly code: string | undefined;
  constructor(message: string, status: number, code: string | undefined) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

interface GraphQLResponse<T> {
  readonly data?: T | null;
  readonly errors?: readonly { message: string; extensions?: { code?: string } }[];
}

/** POSTs one operation; resolves with its data, or rejects with the server's first error. */
export async function requestServer<T>(
  target: ServerTarget,
  query: string,
  variables: Record<string, unknown>,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(new URL('/graphql', target.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${target.key}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(120_000),
    });
  } catch (error) {
    throw new ServerRequestError(
      `cannot reach the server at ${target.url}: ${(error as Error).message}`,
      0,
      undefined,
    );
  }
  let body: GraphQLResponse<T>;
  try {
    body = (await response.json()) as GraphQLResponse<T>;
  } catch {
    throw new ServerRequestError(
      `the server at ${target.url} answered ${response.status} without JSON`,
      response.status,
      undefined,
    );
  }
  const first = body.errors?.[0];
  if (first || body.data == null) {
    throw new ServerRequestError(
      `the server at ${target.url} answered ${response.status}: ${first?.message ?? 'no data'}`,
      response.status,
      first?.extensions?.code,
    );
  }
  return body.data;
}
