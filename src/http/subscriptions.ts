import { createHash, randomUUID } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RequestHandler } from 'express';
import {
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { CloseCode, handleProtocols, makeServer, type Context } from 'graphql-ws';
import type { Kysely } from 'kysely';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { GraphQLContext, LiveUpdates } from '../modules/context.ts';
import { findPartnerKeys } from '../modules/partners/index.ts';
import type { Protection } from '../protection/protection.ts';
import { queryLimitRules } from '../protection/query-limits.ts';
import type { Logger } from '../shared/logger.ts';
import { requestScopeOf } from '../shared/request-scope.ts';
import { httpErrorBody, sendHttpError } from '../shared/send-http-error.ts';
import type { Viewer } from '../shared/viewer.ts';
import { presentedKey, resolvePartnerKey } from './authenticate.ts';

/**
 * Close codes a subscriber may see, beside graphql-ws's own (4400 bad request, 4401 subscribe before
 * acknowledgement, 4406 subprotocol, 4408 no `connection_init` in time, 4409 duplicate id, 4429 two
 * `connection_init`s): https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md. docs/changes.md
 * lists them.
 */
export const SUBSCRIPTION_CLOSE = {
  /** The server is shutting down (RFC 6455 §7.4.1): reconnect elsewhere and resume from the cursor. */
  goingAway: 1001,
  /** The key is malformed, unknown, revoked or rotated, or its page's origin is not the key's. */
  forbidden: CloseCode.Forbidden,
  /** The connection did not answer a ping before the next one. */
  idle: 4408,
  /** The client reads too slowly: events or bytes waiting beyond the bounds. */
  slow: 4413,
  internal: CloseCode.InternalServerError,
} as const;

/** What the subscription server needs of the gateway. */
export interface SubscriptionServerOptions {
  readonly config: Config;
  /** Where keys are checked again (revocation, rotation): the database itself, not a request snapshot. */
  readonly db: Kysely<Database>;
  readonly logger: Logger;
  readonly schema: GraphQLSchema;
  readonly protection: Pick<Protection, 'rateCheck' | 'checkOperation' | 'failedAuth' | 'forwarding'>;
  /** The gateway's error masking (src/graphql/format-error.ts), so sockets get what HTTP gets. */
  readonly formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** A subscription's resolver context: its viewer and what `Subscription` fields follow. */
  readonly contextFor: (
    connection: SubscriberConnection,
    live: Omit<LiveUpdates, 'renewLoaders' | 'changes'>,
  ) => GraphQLContext;
  /** Called once an upgrade request has been answered or taken over (its request database can end). */
  readonly requestDone: (res: http.ServerResponse) => void;
}

/** One WebSocket connection: who it is and what it holds. */
export interface SubscriberConnection {
  readonly id: string;
  readonly request: IncomingMessage;
  viewer: Viewer;
  /** The prefix of the key it authenticated with, to notice a rotation. */
  keyPrefix: string | undefined;
  /** Whether the key came in the upgrade's headers (then `connectionParams` may not bring another). */
  readonly keyFromHeaders: boolean;
  /** Whose cap the subscriptions count against: the partner key, or the client address. */
  capKey: string;
  readonly socket: WebSocket;
  /** Subscription ids counted against the caps. */
  readonly active: Set<string>;
}

export interface SubscriptionServer {
  /** The HTTP server's 'upgrade' event: requests for /graphql go through Express (viewer, CORS, limits). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, app: http.RequestListener): void;
  /** On GET /graphql after the viewer step: takes over an upgrade request's socket, else passes. */
  readonly route: RequestHandler;
  /** Open connections and counted subscriptions. */
  stats(): { readonly connections: number; readonly subscriptions: number };
  /** Closes every connection with 1001 and stops accepting. */
  close(): Promise<void>;
}

interface PendingUpgrade {
  readonly socket: Duplex;
  readonly head: Buffer;
}

/** The key in `connectionParams`: the same names as the HTTP headers (browsers cannot set headers on a WebSocket). */
function keyInParams(params: Readonly<Record<string, unknown>> | undefined): string | null | Error {
  if (!params) return null;
  const lookup = (name: string): string | undefined => {
    for (const [key, value] of Object.entries(params)) {
      if (key.toLowerCase() === name && typeof value === 'string') return value;
    }
    return undefined;
  };
  const apiKey = lookup('x-api-key') ?? lookup('apikey');
  return presentedKey(lookup('authorization'), apiKey);
}

/** Whether a browser page at `origin` may use this viewer's key: its own origins, or this server's. */
function originAllowed(req: IncomingMessage, viewer: Viewer): boolean {
  const origin = req.headers.origin;
  if (origin === undefined || viewer.kind !== 'partner') return true;
  if (viewer.origins.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function graphqlError(code: string, message: string, extensions: Record<string, unknown> = {}) {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

/**
 * GraphQL subscriptions over the graphql-ws protocol on the gateway's HTTP server at /graphql. The
 * upgrade request goes through the same viewer step, CORS and rate limit as any request; a key in
 * `connectionParams` is resolved at `connection_init`. Each subscribe is parsed, validated (the
 * query limits) and checked (cost, introspection, safelist) as HTTP requests are, rate-limited, and
 * counted against the caps. Keys are checked again every BYLINE_SUBSCRIPTION_KEY_CHECK_MS; idle and
 * slow connections are closed with their own codes (`SUBSCRIPTION_CLOSE`).
 */
export function createSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const { config, db, logger, schema, protection, formatError, contextFor, requestDone } = options;
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols,
    maxPayload: config.maxBodyBytes,
  });
  const pending = new WeakMap<IncomingMessage, PendingUpgrade>();
  const connections = new Set<SubscriberConnection>();
  const bySocket = new WeakMap<WebSocket, SubscriberConnection>();
  const perCap = new Map<string, number>();
  let total = 0;
  let closing = false;
  const rules = [...specifiedRules, ...queryLimitRules(config)];
  const hashes = new Map<string, string>();

  const release = (connection: SubscriberConnection, id: string) => {
    if (!connection.active.delete(id)) return;
    total -= 1;
    const count = (perCap.get(connection.capKey) ?? 1) - 1;
    if (count <= 0) perCap.delete(connection.capKey);
    else perCap.set(connection.capKey, count);
  };

  const drop = (connection: SubscriberConnection, code: number, reason: string) => {
    const { socket } = connection;
    if (socket.readyState !== socket.OPEN) return;
    logger.info({ connection: connection.id, code, reason }, 'closing a WebSocket connection');
    socket.close(code, reason);
    // A peer that does not answer the close frame is cut (RFC 6455 §7.1.1).
    setTimeout(() => socket.terminate(), 1000).unref();
  };

  const slowReason = `Slow consumer: the client reads too slowly (more than ${config.subscriptionMaxBufferedBytes} bytes or ${config.subscriptionMaxPendingEvents} events waiting); reconnect and resume from the last cursor`;

  const queryHash = (query: string): string => {
    let hash = hashes.get(query);
    if (hash === undefined) {
      hash = createHash('sha256').update(query).digest('hex');
      if (hashes.size > 1000) hashes.clear();
      hashes.set(query, hash);
    }
    return hash;
  };

  const format = (connection: SubscriberConnection, errors: readonly GraphQLError[]) =>
    errors.map((error) => formatError(error.toJSON(), error));

  const server = makeServer<Record<string, unknown> | undefined, { connection: SubscriberConnection }>({
    schema,
    onConnect: async (
      ctx: Context<Record<string, unknown> | undefined, { connection: SubscriberConnection }>,
    ) => {
      const { connection } = ctx.extra;
      const key = keyInParams(ctx.connectionParams);
      if (key !== null) {
        if (connection.keyFromHeaders) {
          drop(
            connection,
            SUBSCRIPTION_CLOSE.forbidden,
            'Send the partner key once: in the upgrade headers or in connectionParams, not both',
          );
          return false;
        }
        const resolved = key instanceof Error ? key.message : await resolvePartnerKey(db, key);
        if (typeof resolved === 'string') {
          await protection.failedAuth.failed(connection.request).catch(() => undefined);
          drop(connection, SUBSCRIPTION_CLOSE.forbidden, resolved);
          return false;
        }
        connection.viewer = resolved.viewer;
        connection.keyPrefix = resolved.keyPrefix;
        connection.capKey = `key:${resolved.viewer.partnerId}`;
      }
      if (!originAllowed(connection.request, connection.viewer)) {
        drop(
          connection,
          SUBSCRIPTION_CLOSE.forbidden,
          `Origin ${connection.request.headers.origin} is not one of this partner key's origins`,
        );
        return false;
      }
      return true;
    },
    onSubscribe: async (ctx, id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> => {
      const { connection } = ctx.extra;
      const { viewer } = connection;
      let document: DocumentNode;
      try {
        document = parse(payload.query, { maxTokens: config.maxTokens });
      } catch (error) {
        if (error instanceof GraphQLError) {
          return [new GraphQLError(error.message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
        }
        throw error;
      }
      const invalid = validate(schema, document, rules, { maxErrors: config.maxValidationErrors });
      if (invalid.length > 0) {
        return invalid.map(
          (error) =>
            new GraphQLError(error.message, {
              ...(error.nodes ? { nodes: error.nodes } : {}),
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', ...error.extensions },
            }),
        );
      }
      const operation = getOperationAST(document, payload.operationName);
      if (!operation) {
        return [
          graphqlError(
            'OPERATION_RESOLUTION_FAILURE',
            payload.operationName
              ? `Unknown operation named "${payload.operationName}".`
              : 'Must provide operation name if query contains multiple operations.',
          ),
        ];
      }
      if (operation.operation !== 'subscription') {
        return [
          graphqlError(
            'BAD_REQUEST',
            `Only subscription operations run over WebSocket; send this ${operation.operation} over HTTP (GET or POST /graphql).`,
          ),
        ];
      }
      const variables = payload.variables ?? undefined;
      try {
        protection.checkOperation({
          schema,
          document,
          operation,
          viewer,
          variables,
          queryHash: queryHash(payload.query),
        });
      } catch (error) {
        if (error instanceof GraphQLError) return [error];
        throw error;
      }
      const checked = await protection.rateCheck(connection.request, viewer);
      if (!checked.allowed) {
        return [
          graphqlError('RATE_LIMITED', checked.message, {
            limitPerMinute: checked.perMinute,
            retryAfterSeconds: checked.retryAfterSeconds,
          }),
        ];
      }
      const held = perCap.get(connection.capKey) ?? 0;
      if (held >= config.subscriptionsPerKey) {
        return [
          graphqlError(
            'TOO_MANY_SUBSCRIPTIONS',
            `This ${viewer.kind === 'partner' ? 'partner key' : 'IP address'} already holds ${held} subscriptions, the most allowed (BYLINE_SUBSCRIPTIONS_PER_KEY=${config.subscriptionsPerKey}); complete one first.`,
            { limit: config.subscriptionsPerKey },
          ),
        ];
      }
      if (total >= config.subscriptionsMax) {
        return [
          graphqlError(
            'TOO_MANY_SUBSCRIPTIONS',
            `This server holds ${total} subscriptions, the most it allows (BYLINE_SUBSCRIPTIONS_MAX=${config.subscriptionsMax}); retry later or on another instance.`,
            { limit: config.subscriptionsMax },
          ),
        ];
      }
      connection.active.add(id);
      perCap.set(connection.capKey, held + 1);
      total += 1;
      const context = contextFor(connection, {
        maxPendingEvents: config.subscriptionMaxPendingEvents,
        dropSlow: () => drop(connection, SUBSCRIPTION_CLOSE.slow, slowReason),
      });
      return {
        schema,
        document,
        ...(payload.operationName ? { operationName: payload.operationName } : {}),
        variableValues: variables,
        contextValue: context,
      };
    },
    onError: (ctx, _id, _payload, errors) => format(ctx.extra.connection, errors),
    onNext: (ctx, _id, _payload, _args, result) => {
      if (!result.errors) return;
      return {
        ...(result.data === undefined ? {} : { data: result.data }),
        ...(result.extensions === undefined ? {} : { extensions: result.extensions }),
        errors: format(ctx.extra.connection, result.errors),
      };
    },
    onComplete: (ctx, id) => release(ctx.extra.connection, id),
    onClose: (ctx) => {
      const { connection } = ctx.extra;
      for (const id of [...connection.active]) release(connection, id);
      connections.delete(connection);
    },
  });

  const opened = (socket: WebSocket, request: IncomingMessage, connection: SubscriberConnection) => {
    connections.add(connection);
    bySocket.set(socket, connection);
    // Our own keepalive (not graphql-ws's): a connection that has not answered the last ping when
    // the next is due is closed with a code of its own, not cut without one.
    let awaitingPong = false;
    const keepAlive = setInterval(() => {
      if (awaitingPong) {
        drop(
          connection,
          SUBSCRIPTION_CLOSE.idle,
          `Idle: no pong within ${config.subscriptionKeepAliveMs} ms of a ping`,
        );
        return;
      }
      awaitingPong = true;
      socket.ping();
    }, config.subscriptionKeepAliveMs);
    socket.on('pong', () => {
      awaitingPong = false;
    });
    socket.once('error', (error) => {
      logger.debug({ connection: connection.id, err: error }, 'WebSocket error');
      socket.terminate();
    });
    const closed = server.opened(
      {
        protocol: socket.protocol,
        // Resolves at once while little is buffered, else when written out (a catch-up then waits
        // for the client); past the bound the connection is closed as a slow consumer.
        send: (data) => {
          if (socket.readyState !== socket.OPEN) return;
          return new Promise<void>((resolve) => {
            socket.send(data, () => resolve());
            if (socket.bufferedAmount > config.subscriptionMaxBufferedBytes) {
              drop(connection, SUBSCRIPTION_CLOSE.slow, slowReason);
              resolve();
            } else if (socket.bufferedAmount <= config.subscriptionMaxBufferedBytes / 4) resolve();
          });
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (callback) =>
          socket.on('message', async (data) => {
            try {
              await callback(String(data));
            } catch (error) {
              logger.error({ connection: connection.id, err: error }, 'unexpected error on a WebSocket');
              drop(
                connection,
                SUBSCRIPTION_CLOSE.internal,
                `Internal server error (request id ${connection.id})`,
              );
            }
          }),
      },
      { connection },
    );
    socket.once('close', (code, reason) => {
      clearInterval(keepAlive);
      void closed(code, String(reason));
    });
    logger.debug(
      { connection: connection.id, viewer: connection.viewer.partnerName },
      'WebSocket connection opened',
    );
    void request;
  };

  // Keys of open connections, read again: a revoked or rotated key loses its connections promptly,
  // even when the revocation came from the CLI or another instance.
  const keyCheck = setInterval(() => {
    const keyed = [...connections].filter((c) => c.viewer.kind === 'partner' && c.viewer.partnerId !== null);
    if (keyed.length === 0) return;
    const ids = [...new Set(keyed.map((c) => c.viewer.partnerId!))];
    findPartnerKeys(db, ids).then(
      (rows) => {
        const byId = new Map(rows.map((row) => [row.id, row]));
        for (const connection of keyed) {
          const row = byId.get(connection.viewer.partnerId!);
          if (!row || row.revoked_at !== null) {
            drop(connection, SUBSCRIPTION_CLOSE.forbidden, 'Partner key has been revoked');
          } else if (connection.keyPrefix !== undefined && row.key_prefix !== connection.keyPrefix) {
            drop(connection, SUBSCRIPTION_CLOSE.forbidden, 'Partner key has been replaced by a new one');
          }
        }
      },
      (error: unknown) => logger.warn({ err: error }, 'could not check the keys of WebSocket connections'),
    );
  }, config.subscriptionKeyCheckMs);
  keyCheck.unref();

  const route: RequestHandler = (req, res, next) => {
    const upgrade = pending.get(req);
    if (!upgrade) return next();
    pending.delete(req);
    const { viewer } = requestScopeOf(res);
    void (async () => {
      if (!originAllowed(req, viewer)) {
        sendHttpError(
          res,
          403,
          'FORBIDDEN',
          `Origin ${req.headers.origin} is not one of this partner key's origins`,
        );
        return;
      }
      const checked = await protection.rateCheck(req, viewer);
      if (!checked.allowed) {
        sendHttpError(res, 429, 'RATE_LIMITED', checked.message, {
          headers: { 'retry-after': String(checked.retryAfterSeconds) },
        });
        return;
      }
      const headerKey = presentedKey(req.get('authorization'), req.get('x-api-key'));
      res.detachSocket(upgrade.socket as never);
      requestDone(res);
      if (closing) {
        upgrade.socket.destroy();
        return;
      }
      wss.handleUpgrade(req, upgrade.socket, upgrade.head, (socket) => {
        const keyPrefix =
          typeof headerKey === 'string' && viewer.kind === 'partner' ? headerKey.split('_')[1] : undefined;
        opened(socket, req, {
          id: randomUUID(),
          request: req,
          viewer,
          keyPrefix,
          keyFromHeaders: typeof headerKey === 'string',
          capKey:
            viewer.kind === 'partner' && viewer.partnerId !== null
              ? `key:${viewer.partnerId}`
              : `ip:${protection.forwarding.clientAddress(req)}`,
          socket,
          active: new Set(),
        });
      });
    })().catch(next);
  };

  return {
    handleUpgrade(req, socket, head, app) {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/graphql' || closing) {
        const status = closing ? 503 : 404;
        const body = httpErrorBody(
          closing ? 'SERVICE_UNAVAILABLE' : 'NOT_FOUND',
          closing
            ? 'The server is shutting down'
            : `WebSocket connections are accepted at /graphql only, not ${path}`,
        );
        socket.end(
          `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
        return;
      }
      socket.on('error', () => socket.destroy());
      pending.set(req, { socket, head });
      // The request runs through Express like any other (request id, log, viewer, CORS); a refusal
      // is written as an HTTP answer on the socket, which then closes.
      const res = new http.ServerResponse(req);
      res.shouldKeepAlive = false;
      res.assignSocket(socket as never);
      res.once('finish', () => {
        requestDone(res);
        socket.end();
      });
      app(req, res);
    },
    route,
    stats: () => ({ connections: connections.size, subscriptions: total }),
    async close() {
      closing = true;
      clearInterval(keyCheck);
      for (const connection of connections) {
        connection.socket.close(
          SUBSCRIPTION_CLOSE.goingAway,
          'Server shutting down; reconnect and resume from the last cursor',
        );
      }
      // Clients that do not answer the close frame within a second are cut.
      const cut = setTimeout(() => {
        for (const connection of connections) connection.socket.terminate();
      }, 1000);
      cut.unref();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      const deadline = Date.now() + 2000;
      while (connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      clearTimeout(cut);
    },
  };
}
