import type { ApolloServerOptions, ApolloServerPlugin } from '@apollo/server';
import express, { type RequestHandler } from 'express';
import { introspectionEnabled, type Config } from '../config.ts';
import type { Logger } from '../shared/logger.ts';
import type { GraphQLContext } from '../modules/context.ts';
import { bodyGuard, methodGuard } from './http-guards.ts';
import { loadOperationsManifest } from './operations-manifest.ts';
import { parsedDocuments, type ParsedDocuments } from './parsed-documents.ts';
import { persistedQueryCache } from './persisted-queries.ts';
import { createOperationCheck, protectionPlugin, type OperationToCheck } from './protection-plugin.ts';
import type { CostReport } from './protection-plugin.ts';
import { queryLimitRules } from './query-limits.ts';
import {
  createAdmit,
  createRateCheck,
  createFailedAuthLimit,
  memoryRateLimitStore,
  rateLimitMiddleware,
  redisRateLimitStore,
  type Admit,
  type RateCheck,
  type FailedAuthLimit,
} from './rate-limit.ts';
import { requestLog } from '../observability/request-log.ts';
import { createForwarding, type Forwarding } from '../shared/client-address.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { RedisConnection } from '../db/redis-connection.ts';

type ProtectionApolloOptions = Pick<
  ApolloServerOptions<GraphQLContext>,
  | 'introspection'
  | 'hideSchemaDetailsFromClientErrors'
  | 'allowBatchedHttpRequests'
  | 'csrfPrevention'
  | 'validationRules'
  | 'validationOptions'
  | 'parseOptions'
  | 'persistedQueries'
  | 'stopOnTerminationSignals'
>;

export interface Protection {
  /** Spread into the ApolloServer constructor. */
  readonly apollo: ProtectionApolloOptions;
  readonly plugins: ApolloServerPlugin<GraphQLContext>[];
  /** Mounted on every route, first: the request log. */
  readonly everyRequest: RequestHandler[];
  /** Before anything else on /graphql: method checks and the rate limit (cache hits count too). */
  readonly graphqlGuards: RequestHandler[];
  /** The rate limit as a function, for the response cache's fast lane (it runs before Express). */
  readonly admit: Admit;
  /** The rate limit without HTTP: one token per WebSocket subscribe. */
  readonly rateCheck: RateCheck;
  /** The caller's checks (safelist, introspection, NUL bytes, cost) for operations outside Apollo (subscriptions). */
  readonly checkOperation: (input: OperationToCheck) => CostReport;
  /** `admit` as middleware, for the embed routes (/oembed, /embed, /articles, /quotes). */
  readonly rateLimit: RequestHandler;
  /** GET documents parsed once per distinct text, shared by the method guard and the response cache. */
  readonly documents: ParsedDocuments;
  /** The client's address and the public URL, behind trusted proxies (BYLINE_TRUSTED_PROXIES). */
  readonly forwarding: Forwarding;
  /** Failed partner keys per client address, checked before a key is looked up. */
  readonly failedAuth: FailedAuthLimit;
  /** Then, for requests the response cache did not answer: the body, parsed and checked. */
  readonly graphqlBody: RequestHandler[];
  close(): Promise<void>;
}

/** Everything that stands between the internet and the resolvers (docs/security.md). */
export function createProtection(
  config: Config,
  logger: Logger,
  metrics?: Pick<GatewayMetrics, 'rateLimitRejections' | 'rateLimitFailOpen'>,
  redis?: RedisConnection,
): Protection {
  const introspectionForAll = introspectionEnabled(config);
  // Relative manifest paths are resolved from the repository root.
  const safelist =
    config.operations === 'safelist' ? loadOperationsManifest(config.operationsManifest) : undefined;
  const rateLimits = redis ? redisRateLimitStore(redis) : memoryRateLimitStore();
  const forwarding = createForwarding(config);
  const hooks = {
    clientAddress: forwarding.clientAddress,
    onReject: (limit: string) => metrics?.rateLimitRejections.inc({ limit }),
    onFailOpen: (limit: string) => metrics?.rateLimitFailOpen.inc({ limit }),
  };
  const rateCheck = createRateCheck(rateLimits, config.rateLimitPerMinute, hooks);
  const admit = createAdmit(rateCheck);
  const pluginOptions = { config, introspectionForAll, safelist };
  const rateLimit = rateLimitMiddleware(admit);
  const documents = parsedDocuments(config.maxTokens);
  return {
    admit,
    documents,
    rateLimit,
    failedAuth: createFailedAuthLimit(rateLimits, config.failedAuthPerMinute, hooks),
    apollo: {
      // Introspection is decided per caller in the plugin (developer scope), so Apollo's static rule stays off.
      introspection: true,
      hideSchemaDetailsFromClientErrors: !introspectionForAll,
      allowBatchedHttpRequests: false,
      csrfPrevention: true,
      validationRules: queryLimitRules(config),
      // graphql-js adds one "too many errors" error after maxErrors real ones.
      validationOptions: { maxErrors: Math.max(1, config.maxValidationErrors - 1) },
      parseOptions: { maxTokens: config.maxTokens },
      persistedQueries: config.persistedQueries ? { cache: persistedQueryCache(safelist, redis) } : false,
      // `byline serve` owns SIGTERM (drain, close the pool, exit 0); Apollo's own handler would re-raise
      // the signal after stopping and kill the process before the pool is closed.
      stopOnTerminationSignals: false,
    },
    plugins: [protectionPlugin(pluginOptions)],
    rateCheck,
    checkOperation: createOperationCheck(pluginOptions),
    forwarding,
    everyRequest: [requestLog(logger, forwarding.clientAddress)],
    graphqlGuards: [methodGuard(documents, config.maxBodyBytes), rateLimit],
    graphqlBody: [express.json({ limit: config.maxBodyBytes }), bodyGuard],
    close: () => rateLimits.close(),
  };
}
