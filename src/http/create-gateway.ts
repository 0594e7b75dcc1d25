import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { playgroundEnabled, type Config } from '../config.ts';
import type { DatabaseHandle } from '../db/open-database.ts';
import { RequestFinishedError, type RequestDatabase } from '../db/request-database.ts';
import { migrationStatus } from '../db/migrate.ts';
import type { Logger } from '../shared/logger.ts';
import {
  chooseRequestId,
  currentRequestScope,
  openRequestScope,
  requestScopeOf,
  runInRequestScope,
  type RequestScope,
} from '../shared/request-scope.ts';
import { createDemoMedia } from './demo-media.ts';
import { createEmbedRouter } from './embed-routes.ts';
import { createAuthenticate } from './authenticate.ts';
import { createPreviewLinks } from './preview-link.ts';
import { choosePreviewSecret } from '../modules/lifecycle/index.ts';
import { appendDueEmbargoLifts, startChangeLogKeeper } from '../modules/changes/index.ts';
import { Kind, type SelectionSetNode } from 'graphql';
import { createCors } from './cors.ts';
import {
  createFormatError,
  databaseErrorFields,
  isDatabaseUnavailable,
  RETRY_AFTER_SECONDS,
  unavailableMessage,
} from '../graphql/format-error.ts';
import { createGraphQLContext, createWrites, type GraphQLContext } from '../graphql/graphql-context.ts';
import { createGatewayMetrics, type GatewayMetrics } from '../observability/metrics.ts';
import { mountPlayground } from './playground/playground.ts';
import { createProtection } from '../protection/protection.ts';
import type { ViewerResolver } from '../protection/viewer-seam.ts';
import { mergeResolvers, readTypeDefs } from '../graphql/schema.ts';
import { createResponseCache } from '../cache/response-cache.ts';
import { createCacheFastLane } from '../cache/cache-fast-lane.ts';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { createChangeFollower } from '../modules/changes/index.ts';
import { createSubscriptionServer } from './subscriptions.ts';
import { openRedisConnection } from '../db/redis-connection.ts';
import { httpErrorBody, sendHttpError } from '../shared/send-http-error.ts';
import { traceRequest } from '../shared/tracing.ts';
import { tracingPlugin } from '../observability/tracing-plugin.ts';
import { allowedNetworks, WEBHOOKS_NEED_POSTGRES } from '../modules/webhooks/index.ts';

export interface Gateway {
  /** This gateway's Prometheus registry and the counters other parts increment (cache, rate limits). */
  readonly metrics: GatewayMetrics;
  readonly httpServer: http.Server;
  readonly app: express.Express;
  /** Open WebSocket connections and their subscriptions (src/http/subscriptions.ts). */
  subscriptions(): { readonly connections: number; readonly subscriptions: number };
  /** Starts listening; resolves with the GraphQL endpoint's URL. */
  listen(port: number, host?: string): Promise<string>;
  /** Stops accepting, lets in-flight requests finish within `graceMs`, then stops Apollo. */
  close(graceMs?: number): Promise<void>;
}

export interface GatewayOptions {
  readonly config: Config;
  readonly database: DatabaseHandle;
  readonly logger: Logger;
  /** Who is asking (partner keys); anonymous by default. Tests pass preview/developer viewers here. */
  readonly resolveViewer?: ViewerResolver;
  /**
   * Whether the database is prepared (reachable, migrated, demo loaded). While not, every route but
   * /healthz, /readyz and /metrics answers 503; absent means prepared.
   */
  readonly readiness?: Readiness;
  /** Serve Node's process metrics too (`byline serve`: one gateway per process). */
  readonly processMetrics?: boolean;
}

/** Set by whoever prepares the database (src/http/start-gateway.ts); read on every request. */
export interface Readiness {
  ready: boolean;
  /** Why not ready, for /readyz. */
  reason: string;
}

/** Paths where a partner key counts: the API and everything partners embed. */
const EMBED_ROUTES = ['/oembed', '/embed', '/articles', '/quotes', '/people'];
const PARTNER_KEY_PATHS = ['/graphql', ...EMBED_ROUTES];

/**
 * What Node's HTTP parser refuses before any handler runs, answered in the JSON error shape instead
 * of Node's bare status line (https://nodejs.org/api/http.html#event-clienterror).
 */
function clientErrorAnswer(error: NodeJS.ErrnoException, config: Config): [number, string, string] {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [
        408,
        'REQUEST_TIMEOUT',
        `The request was not received within ${config.requestTimeoutMs} ms (BYLINE_REQUEST_TIMEOUT_MS)`,
      ];
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'REQUEST_HEADER_FIELDS_TOO_LARGE', 'Request headers are larger than the server accepts'];
    default:
      return [400, 'BAD_REQUEST', 'The request is not valid HTTP/1.1'];
  }
}

function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, config: Config): void {
  // Nothing to answer on a connection the client dropped or whose response has started.
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, code, message] = clientErrorAnswer(error, config);
  const body = httpErrorBody(code, message);
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * The database cannot answer now: 503 with Retry-After, so clients retry and no cache keeps it
 * (https://www.rfc-editor.org/rfc/rfc9110#name-503-service-unavailable). GraphQL answers the same
 * way through formatError and the protection plugin.
 */
function sendServiceUnavailable(res: express.Response): void {
  const { requestId } = requestScopeOf(res);
  sendHttpError(res, 503, 'SERVICE_UNAVAILABLE', unavailableMessage(requestId), {
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS), 'cache-control': 'no-store' },
    extensions: { requestId },
  });
}

/** Each request's database (src/db/request-database.ts), made for every request on PARTNER_KEY_PATHS. */
const requestDatabases = new WeakMap<RequestScope, RequestDatabase>();

function requestDatabaseOf(res: express.Response): RequestDatabase {
  const requestDb = requestDatabases.get(requestScopeOf(res));
  if (!requestDb)
    throw new Error(
      `Expected a request database for ${res.req.path}; it is made on ${PARTNER_KEY_PATHS.join(', ')}`,
    );
  return requestDb;
}

export async function createGateway({
  config,
  database,
  logger,
  resolveViewer,
  readiness = { ready: true, reason: '' },
  processMetrics = false,
}: GatewayOptions): Promise<Gateway> {
  const app = express();
  const previewSecret = choosePreviewSecret(config.previewSecret, config.nodeEnv === 'production');
  if (previewSecret.ok && previewSecret.ephemeral) {
    logger.warn(
      'BYLINE_PREVIEW_SECRET is not set: preview links are signed with a random key of this process and will not survive a restart',
    );
  } else if (!previewSecret.ok) logger.warn(previewSecret.message);
  // Cache hits for anonymous GETs are answered before Express; everything else goes to it.
  let fastLane: ((req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>) | undefined;
  const httpServer = http.createServer(
    {
      // A slow client may not hold a connection for Node's default 300 s.
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: Math.min(config.headersTimeoutMs, config.requestTimeoutMs),
      // How often Node checks those timeouts (default 30 s, which would let them run over by that much).
      connectionsCheckingInterval: Math.min(1000, Math.floor(config.headersTimeoutMs / 2)),
    },
    (req, res) =>
      traceRequest(req, res, () => {
        if (!fastLane || !readiness.ready) return void app(req, res);
        fastLane(req, res).then(
          (served) => served || app(req, res),
          () => app(req, res),
        );
      }),
  );
  httpServer.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) =>
    answerClientError(error, socket, config),
  );
  app.disable('x-powered-by');
  // Express would hash every body for a weak ETag; GET answers get the response cache's, embeds their own.
  app.set('etag', false);
  app.set('trust proxy', false);

  const metrics = createGatewayMetrics({ database, processMetrics });
  // One connection for rate limits and the response cache; both go on without it while it is down.
  const redis = config.redisUrl
    ? openRedisConnection(config.redisUrl, {
        commandTimeoutMs: config.redisCommandTimeoutMs,
        logger,
        onStateChange: (state) => metrics.redisUp.set(state === 'ready' ? 1 : 0),
      })
    : undefined;
  if (redis) {
    metrics.redisUp.set(0);
    metrics.registry.registerMetric(metrics.redisUp);
    await redis.settled(Math.max(1000, config.redisCommandTimeoutMs));
  }
  const protection = createProtection(config, logger, metrics, redis);
  const debugExtensions = config.nodeEnv !== 'production';

  const debugPlugin: ApolloServerPlugin<GraphQLContext> = {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ response }) {
          const scope = currentRequestScope();
          if (!debugExtensions || !scope || response.body.kind !== 'single') return;
          response.body.singleResult.extensions = {
            ...response.body.singleResult.extensions,
            timing: { durationMs: Math.round((performance.now() - started) * 100) / 100 },
            sql: {
              statements: scope.sql.statements,
              roundTrips: scope.sql.roundTrips,
              durationMs: Math.round(scope.sql.durationMs * 100) / 100,
            },
          };
        },
      };
    },
  };

  // The request's snapshot ends once the answer is computed, before it is written to the client.
  const snapshotPlugin: ApolloServerPlugin<GraphQLContext> = {
    async requestDidStart() {
      return {
        async willSendResponse() {
          const scope = currentRequestScope();
          if (scope) void requestDatabases.get(scope)?.finish();
        },
      };
    },
  };

  // Before an operation that reads `changes` takes its snapshot: every embargo lifted by now has its
  // event, in its own short write, so the answer's snapshot holds it (src/modules/changes).
  const changeLogPlugin: ApolloServerPlugin<GraphQLContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'query' || !readsRootField(operation.selectionSet, 'changes')) return;
          await appendDueEmbargoLifts(database.db).catch((error: unknown) => {
            // The read still answers from the log as it stands; the keeper appends the lift soon.
            logger.warn({ err: error }, 'change log: appending due embargo lifts before changes failed');
          });
        },
      };
    },
  };
  const changeLogKeeper = startChangeLogKeeper({
    db: database.db,
    retentionMs: config.changesRetentionMs,
    logger,
  });

  const responseCache = await createResponseCache({
    config,
    database,
    logger,
    metrics,
    redis,
    documents: protection.documents,
    publicUrlOf: protection.forwarding.publicUrlVaries ? protection.forwarding.publicUrl : undefined,
  });
  // Only when there is a cache to answer from, and where every caller without a key is the anonymous
  // public (tests may resolve viewers otherwise).
  if (responseCache.enabled && !resolveViewer)
    fastLane = createCacheFastLane({
      cache: responseCache,
      admit: protection.admit,
      logger,
      clientAddress: protection.forwarding.clientAddress,
    });
  // One schema for HTTP (Apollo) and WebSocket subscriptions (graphql-ws).
  const schema = makeExecutableSchema({ typeDefs: readTypeDefs(), resolvers: mergeResolvers() });
  const formatError = createFormatError(
    () => currentRequestScope()?.requestId,
    (error, kind) => {
      const requestId = currentRequestScope()?.requestId;
      if (kind === 'unavailable')
        logger.warn({ requestId, ...databaseErrorFields(error) }, 'database unavailable');
      else if (kind === 'abandoned') logger.debug({ requestId }, 'statement after the client went away');
      else logger.error({ requestId, err: error }, 'unexpected error while resolving');
    },
  );
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    ...protection.apollo,
    includeStacktraceInErrorResponses: false,
    formatError,
    plugins: [
      // Requests in flight get the shutdown grace period, not the plugin's default 10 s.
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.shutdownGraceMs }),
      ApolloServerPluginLandingPageDisabled(),
      // No per-field hooks: cache hints are read from the document once (src/cache/cache-policy.ts),
      // and nothing traces fields or reports usage to Apollo, whatever APOLLO_KEY or headers say.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      debugPlugin,
      metrics.plugin,
      tracingPlugin,
      ...protection.plugins,
      changeLogPlugin,
      responseCache.plugin,
      snapshotPlugin,
    ],
  });
  await apollo.start();

  // Live updates: one follower of the change log per process, subscriptions over WebSocket.
  const changeFollower = createChangeFollower({
    db: database.db,
    pollMs: config.changesPollMs,
    onError: (error) =>
      isDatabaseUnavailable(error)
        ? logger.warn(databaseErrorFields(error), 'reading the change log for subscribers failed; retrying')
        : logger.error({ err: error }, 'reading the change log for subscribers failed; retrying'),
  });
  const subscriptions = createSubscriptionServer({
    config,
    db: database.db,
    logger,
    schema,
    protection,
    formatError: (formatted, error) => formatError(formatted, error),
    requestDone: (res) => void requestDatabases.get(requestScopeOf(res))?.finish(),
    contextFor: (connection, live) => {
      const { viewer } = connection;
      const publicUrl = protection.forwarding.publicUrl(connection.request);
      const freshLoaders = () =>
        createGraphQLContext({
          db: database.db,
          viewer,
          publicUrl,
          providerName: config.providerName,
          loaderHooks: { onBatch: metrics.observeBatch },
        }).loaders;
      let loaders = freshLoaders();
      return {
        viewer,
        get loaders() {
          return loaders;
        },
        publicUrl,
        providerName: config.providerName,
        live: {
          ...live,
          changes: changeFollower,
          renewLoaders: () => {
            loaders = freshLoaders();
          },
        },
      };
    },
  });
  httpServer.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!readiness.ready) {
      const body = httpErrorBody('SERVICE_UNAVAILABLE', unavailableMessage(undefined));
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nRetry-After: ${RETRY_AFTER_SECONDS}\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    subscriptions.handleUpgrade(req, socket, head, app);
  });

  // The request's scope, created once (the fast lane, when it passed the request on, chose the id).
  const openScope: RequestHandler = (req, res, next) => {
    const { requestId } = openRequestScope(res, chooseRequestId(req.get('x-request-id')));
    res.setHeader('x-request-id', requestId);
    next();
  };
  app.use(openScope);
  app.use(...protection.everyRequest);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (!readiness.ready) {
      res.status(503).json({ status: 'unavailable', reason: readiness.reason });
      return;
    }
    // Without Redis the gateway still answers correctly (limits fail open, the cache is skipped), so
    // by default it stays in the load balancer, saying it is degraded (docs/operations.md).
    const redisState = redis?.state();
    const withRedis = redisState ? { redis: redisState } : {};
    try {
      await withTimeout(database.ping(), 2000, 'database ping');
      const { pending } = await withTimeout(migrationStatus(database.db), 2000, 'migration status');
      if (pending.length > 0) {
        res.status(503).json({ status: 'unavailable', reason: `migrations pending: ${pending.join(', ')}` });
        return;
      }
      if (redisState === 'unreachable') {
        const required = config.redisRequired;
        res.status(required ? 503 : 200).json({
          status: required ? 'unavailable' : 'degraded',
          reason: 'redis unreachable',
          database: database.engine,
          ...withRedis,
        });
        return;
      }
      res.json({ status: 'ready', database: database.engine, ...withRedis });
    } catch {
      res.status(503).json({ status: 'unavailable', reason: 'database unreachable', ...withRedis });
    }
  });

  if (config.metrics) app.get('/metrics', metrics.handler);
  app.use('/media/demo', createDemoMedia());
  app.use((_req, res, next) => (readiness.ready ? next() : sendServiceUnavailable(res)));
  if (playgroundEnabled(config)) mountPlayground(app, { htmlAtEndpoint: config.nodeEnv === 'development' });
  // The viewer step (partner key, else anonymous or the tests' seam), then CORS for that viewer.
  // Every statement of a request on these paths goes through its request database, ended on every path
  // (answer sent, error, client gone) when the response closes, or earlier once all is read.
  const requestDatabase: RequestHandler = (_req, res, next) => {
    const requestDb = database.forRequest(config.requestSnapshot);
    requestDatabases.set(requestScopeOf(res), requestDb);
    res.once('close', () => void requestDb.finish());
    next();
  };
  // Partner keys are read outside the request's snapshot: they are not part of the answer, and a
  // snapshot opened before a slow body arrives would hold its connection meanwhile.
  app.use(
    PARTNER_KEY_PATHS,
    requestDatabase,
    createAuthenticate(database.db, { failedAuth: protection.failedAuth, withoutKey: resolveViewer }),
    createPreviewLinks(database.db, previewSecret),
    createCors(database.db),
  );
  // A WebSocket upgrade on /graphql, once its viewer is known, becomes a subscription connection.
  app.get('/graphql', subscriptions.route);
  app.use(EMBED_ROUTES, protection.rateLimit);
  app.use(
    createEmbedRouter({
      dbOf: (res) => requestDatabaseOf(res).db,
      doneReading: (res) => void requestDatabaseOf(res).finish(),
      config,
    }),
  );

  // Mutations write on the database itself, outside the request's read-only snapshot.
  // A committed write sends this instance's reads to the primary until replicas have replayed it,
  // whether or not the cache's listener has heard it yet (read-your-writes).
  const writes = createWrites(
    database.db,
    async (id) => {
      database.noteWrite();
      await responseCache.settled(id);
    },
    previewSecret,
    database.engine === 'postgres'
      ? { available: true, allowed: allowedNetworks(config.webhookAllowedNetworks) }
      : { available: false, reason: WEBHOOKS_NEED_POSTGRES },
  );
  // The same scope, entered as the async context: resolvers, loaders and SQL counting read it there.
  const scoped: RequestHandler = (_req, res, next) => {
    runInRequestScope(requestScopeOf(res), next);
  };
  app.use(
    '/graphql',
    ...protection.graphqlGuards,
    // Hits are answered here, once the viewer is known, before the body is parsed and before Apollo.
    responseCache.middleware,
    ...protection.graphqlBody,
    scoped,
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        return createGraphQLContext({
          db: requestDatabaseOf(res).db,
          viewer: requestScopeOf(res).viewer,
          publicUrl: protection.forwarding.publicUrl(req),
          providerName: config.providerName,
          loaderHooks: { onBatch: metrics.observeBatch },
          writes,
        });
      },
    }),
  );

  app.use((_req, res) => sendHttpError(res, 404, 'NOT_FOUND', 'Not found'));
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    const { requestId } = requestScopeOf(res);
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') {
      const limit =
        config.maxBodyBytes % 1024 === 0
          ? `${config.maxBodyBytes / 1024} kB`
          : `${config.maxBodyBytes} bytes`;
      return sendHttpError(res, 413, 'PAYLOAD_TOO_LARGE', `Request body is larger than the ${limit} limit`);
    }
    if (type === 'entity.parse.failed') {
      return sendHttpError(res, 400, 'BAD_REQUEST', 'Request body is not valid JSON');
    }
    if (type === 'charset.unsupported' || type === 'encoding.unsupported') {
      return sendHttpError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Request body must be UTF-8 encoded JSON');
    }
    // The router could not percent-decode a path parameter (`%`, `%zz`, `%E0%A4`).
    if (error instanceof URIError) {
      return sendHttpError(
        res,
        400,
        'BAD_REQUEST',
        `Path ${JSON.stringify(req.path.slice(0, 200))} is not valid percent-encoding (RFC 3986 §2.1)`,
      );
    }
    if (error instanceof RequestFinishedError) {
      // The client went away before the answer was read; there is no one to answer.
      logger.debug({ requestId }, 'statement after the client went away');
      return sendServiceUnavailable(res);
    }
    if (isDatabaseUnavailable(error)) {
      logger.warn({ requestId, ...databaseErrorFields(error) }, 'database unavailable');
      return sendServiceUnavailable(res);
    }
    logger.error({ requestId, err: error }, 'unexpected error outside GraphQL');
    sendHttpError(res, 500, 'INTERNAL_SERVER_ERROR', `Internal server error (request id ${requestId})`);
  };
  app.use(onError);

  return {
    httpServer,
    app,
    metrics,
    subscriptions: () => subscriptions.stats(),
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          const { port: bound } = httpServer.address() as AddressInfo;
          const shownHost = !host || host === '0.0.0.0' || host === '::' ? 'localhost' : host;
          resolve(`http://${shownHost}:${bound}/graphql`);
        });
      }),
    close: async (graceMs = 10_000) => {
      const forced = setTimeout(() => httpServer.closeAllConnections(), graceMs);
      forced.unref();
      // WebSocket connections are not requests the drain waits for: they are told to go (1001) first.
      changeFollower.close();
      await subscriptions.close();
      // The drain plugin stops accepting, closes idle keep-alive sockets and waits for in-flight requests.
      await apollo.stop();
      await responseCache.close();
      clearTimeout(forced);
      await protection.close();
      await changeLogKeeper.close();
      await redis?.close();
    },
  };
}

/** Whether a selection set selects `name` at its own level (through inline fragments too). */
function readsRootField(selectionSet: SelectionSetNode, name: string): boolean {
  return selectionSet.selections.some((selection) =>
    selection.kind === Kind.FIELD
      ? selection.name.value === name
      : selection.kind === Kind.INLINE_FRAGMENT
        ? readsRootField(selection.selectionSet, name)
        : // A named fragment at the root: appending the due lifts costs one cheap check, so assume yes.
          true,
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
