import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/http/create-gateway.ts';
import { createLogger, type Logger } from '../../src/shared/logger.ts';
import type { ViewerResolver } from '../../src/protection/viewer-seam.ts';
import type { TestDatabase } from './engines.ts';

export const TEST_PUBLIC_URL = 'https://byline.test';

export interface GraphQLResponse<TData = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: {
    data?: TData | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
    extensions?: Record<string, unknown>;
  };
}

export interface TestGateway {
  readonly gateway: Gateway;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** POSTs a GraphQL operation to /graphql. */
  graphql<TData = Record<string, any>>(
    query: string,
    options?: { variables?: Record<string, unknown>; headers?: Record<string, string> },
  ): Promise<GraphQLResponse<TData>>;
  close(): Promise<void>;
}

/**
 * A gateway on a real loopback port over the given database, configured as in `env`. The demo content
 * comes with the database (`engine.open({ demo: true })`): loaded once per run, not per gateway.
 */
export async function startTestGateway(
  database: TestDatabase,
  options: {
    env?: Record<string, string>;
    /** Who each request is (preview, developer…), instead of anonymous. */
    resolveViewer?: ViewerResolver;
    logger?: Logger;
  } = {},
): Promise<TestGateway> {
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    BYLINE_PUBLIC_URL: TEST_PUBLIC_URL,
    ...options.env,
  });
  const gateway = await createGateway({
    config,
    database: database.handle,
    logger: options.logger ?? createLogger('silent'),
    ...(options.resolveViewer ? { resolveViewer: options.resolveViewer } : {}),
  });
  const url = await gateway.listen(0, '127.0.0.1');
  const origin = new URL(url).origin;
  return {
    gateway,
    origin,
    async graphql(query, { variables, headers } = {}) {
      const response = await fetch(`${origin}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return {
        status: response.status,
        headers: response.headers,
        body: (await response.json()) as GraphQLResponse<never>['body'],
      };
    },
    close: () => gateway.close(1000),
  };
}
