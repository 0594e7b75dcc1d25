import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import { Kind, type DocumentNode } from 'graphql';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DatabaseHandle } from '../db/open-database.ts';
import { currentRequestScope } from '../shared/request-scope.ts';
import type { GraphQLContext } from '../modules/context.ts';
import { measureWebhookQueue } from '../modules/webhooks/index.ts';

/** Operation names come from clients: past this many distinct ones, new names are counted as `(other)`. */
const MAX_OPERATION_NAMES = 200;

/**
 * The gateway's Prometheus metrics, in a registry of its own (never prom-client's global one), so two
 * gateways in one process (the tests) count separately. Served at /metrics in the text format
 * (https://prometheus.io/docs/instrumenting/exposition_formats/).
 */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** For caches: `cacheLookups.inc({ cache: 'article', result: 'hit' })` (result is `hit` or `miss`). */
  readonly cacheLookups: Counter<'cache' | 'result'>;
  /** For rate limiters: `rateLimitRejections.inc({ limit: 'per-key' })`. */
  readonly rateLimitRejections: Counter<'limit'>;
  /** Requests let through because the limiter's store (Redis) did not answer, by limit. */
  readonly rateLimitFailOpen: Counter<'limit'>;
  /** 1 while Redis answers, 0 while it does not; absent without REDIS_URL. */
  readonly redisUp: Gauge;
  /** Webhook delivery attempts by outcome: `webhookDeliveries.inc({ outcome: 'delivered' })`. */
  readonly webhookDeliveries: Counter<'outcome'>;
  /** Records one DataLoader batch of `size` keys. */
  observeBatch(loader: string, size: number): void;
  /** Counts each GraphQL request: operation, outcome, latency, SQL; wraps the request's loaders. */
  readonly plugin: ApolloServerPlugin<GraphQLContext>;
  /** GET /metrics */
  readonly handler: RequestHandler;
}

// Node's process metrics (CPU, memory, event loop lag, GC, handles) describe the process, not a
// gateway: registered on the first registry that asks, once per process, so none is counted twice.
let processMetricsRegistered = false;

export function createGatewayMetrics(options: {
  database: DatabaseHandle;
  /** Add prom-client's default process metrics (`process_*`, `nodejs_*`) if this process has none yet. */
  processMetrics?: boolean;
}): GatewayMetrics {
  const registry = new Registry();
  if (options.processMetrics && !processMetricsRegistered) {
    processMetricsRegistered = true;
    collectDefaultMetrics({ register: registry });
  }
  const registers = [registry];

  const requests = new Counter({
    name: 'byline_graphql_requests_total',
    help: 'GraphQL requests by operation name and outcome (success, partial: data with errors, error: no data).',
    labelNames: ['operation', 'outcome'] as const,
    registers,
  });
  const errors = new Counter({
    name: 'byline_graphql_errors_total',
    help: 'GraphQL errors returned, by extensions.code.',
    labelNames: ['code'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'byline_graphql_request_duration_seconds',
    help: 'Time from receiving a GraphQL request to sending its response, by operation name.',
    labelNames: ['operation'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const sqlStatements = new Counter({
    name: 'byline_sql_statements_total',
    help: 'SQL statements run on behalf of GraphQL requests.',
    registers,
  });
  const sqlPerRequest = new Histogram({
    name: 'byline_sql_statements_per_request',
    help: 'SQL statements one GraphQL request ran.',
    buckets: [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100],
    registers,
  });
  const sqlTimePerRequest = new Histogram({
    name: 'byline_sql_duration_seconds_per_request',
    help: 'Total time one GraphQL request spent in SQL statements.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const batchSize = new Histogram({
    name: 'byline_dataloader_batch_size',
    help: 'Keys per DataLoader batch, by loader.',
    labelNames: ['loader'] as const,
    buckets: [1, 2, 5, 10, 20, 50, 100, 200],
    registers,
  });
  const cacheLookups = new Counter({
    name: 'byline_cache_lookups_total',
    help: 'Cache lookups by cache and result (hit or miss).',
    labelNames: ['cache', 'result'] as const,
    registers,
  });
  const rateLimitRejections = new Counter({
    name: 'byline_rate_limit_rejections_total',
    help: 'Requests rejected by a rate or cost limit, by limit.',
    labelNames: ['limit'] as const,
    registers,
  });
  const rateLimitFailOpen = new Counter({
    name: 'byline_rate_limit_fail_open_total',
    help: 'Requests let through unlimited because the rate-limit store (Redis) did not answer, by limit.',
    labelNames: ['limit'] as const,
    registers,
  });
  const redisUp = new Gauge({
    name: 'byline_redis_up',
    help: 'Whether Redis (REDIS_URL) answers: 1 yes, 0 no (rate limits fail open, the response cache is skipped).',
    registers: [],
  });
  const pool = options.database.pool;
  const poolGauge = (name: string, help: string, read: (p: NonNullable<typeof pool>) => number) =>
    new Gauge({
      name,
      help: `${help} (PostgreSQL pool; 0 on embedded PGlite).`,
      registers,
      collect() {
        this.set(pool ? read(pool) : 0);
      },
    });
  poolGauge('byline_db_pool_in_use', 'Connections checked out by a query', (p) => p.totalCount - p.idleCount);
  poolGauge('byline_db_pool_idle', 'Open connections waiting for work', (p) => p.idleCount);
  poolGauge('byline_db_pool_waiting', 'Queries waiting for a connection', (p) => p.waitingCount);
  poolGauge('byline_db_pool_max', 'Most connections the pool opens', (p) => p.options.max);

  const webhookDeliveries = new Counter({
    name: 'byline_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: delivered (2xx), retrying (failed, another attempt scheduled), failed (no attempts left), disabled (410 Gone).',
    labelNames: ['outcome'] as const,
    registers,
  });
  // Depth and age are the database's (every instance's deliveries), read at scrape time on PostgreSQL.
  let queueReading: Promise<{ depth: number; oldestAgeSeconds: number }> | undefined;
  const readQueue = () => {
    queueReading ??= measureWebhookQueue(options.database.db).finally(() => (queueReading = undefined));
    return queueReading;
  };
  if (options.database.engine === 'postgres') {
    new Gauge({
      name: 'byline_webhook_queue_depth',
      help: 'Webhook deliveries not yet delivered (waiting for an attempt or a retry), over every endpoint.',
      registers,
      async collect() {
        this.set((await readQueue().catch(() => ({ depth: 0 }))).depth);
      },
    });
    new Gauge({
      name: 'byline_webhook_oldest_undelivered_seconds',
      help: 'Age of the oldest webhook delivery not yet delivered, in seconds (0 when none waits).',
      registers,
      async collect() {
        this.set((await readQueue().catch(() => ({ oldestAgeSeconds: 0 }))).oldestAgeSeconds);
      },
    });
  }

  // Read replicas (DATABASE_REPLICA_URLS): who served each request snapshot, lag seen, fallbacks.
  const replicas = options.database.replicas;
  if (replicas) {
    new Counter({
      name: 'byline_db_snapshots_total',
      help: 'Request snapshots opened, by the pool that served them (`primary` or a replica).',
      labelNames: ['pool'],
      registers,
      collect() {
        // Totals kept by the router: set, not added to.
        this.reset();
        for (const [pool, value] of replicas.served) this.labels({ pool }).inc(value);
      },
    });
    new Counter({
      name: 'byline_db_replica_fallbacks_total',
      help: 'Request snapshots sent to the primary although replicas are configured, by reason (unhealthy, lagging, behind-write, failed).',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, value] of replicas.fallbacks) this.labels({ reason }).inc(value);
      },
    });
    new Gauge({
      name: 'byline_db_replica_lag_seconds',
      help: 'How far each replica was behind the primary at its last check (WAL positions, in time).',
      labelNames: ['replica'],
      registers,
      collect() {
        for (const status of replicas.status())
          if (status.lagMs !== undefined) this.set({ replica: status.name }, status.lagMs / 1000);
      },
    });
    new Gauge({
      name: 'byline_db_replica_up',
      help: '1 while a replica serves requests (reachable, streaming, within the lag bound), 0 while not.',
      labelNames: ['replica'],
      registers,
      collect() {
        for (const status of replicas.status()) this.set({ replica: status.name }, status.healthy ? 1 : 0);
      },
    });
  }

  const knownOperations = new Set<string>();
  const operationLabel = (name: string | null | undefined): string => {
    if (!name) return '(anonymous)';
    if (knownOperations.has(name)) return name;
    if (knownOperations.size >= MAX_OPERATION_NAMES) return '(other)';
    knownOperations.add(name);
    return name;
  };

  const observeBatch = (loader: string, size: number) => batchSize.observe({ loader }, size);

  const plugin: ApolloServerPlugin<GraphQLContext> = {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ response, operationName, request, document, errors: requestErrors }) {
          // The resolved operation's name; for a document that failed validation, the name it carries.
          const operation = operationLabel(
            operationName ?? request.operationName ?? soleOperationName(document),
          );
          const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
          const sent = result?.errors ?? requestErrors ?? [];
          const outcome = sent.length === 0 ? 'success' : result?.data ? 'partial' : 'error';
          requests.inc({ operation, outcome });
          for (const error of sent) errors.inc({ code: String(error.extensions?.['code'] ?? 'UNKNOWN') });
          duration.observe({ operation }, (performance.now() - started) / 1000);
          const sql = currentRequestScope()?.sql;
          if (sql) {
            sqlStatements.inc(sql.statements);
            sqlPerRequest.observe(sql.statements);
            sqlTimePerRequest.observe(sql.durationMs / 1000);
          }
        },
      };
    },
  };

  const handler: RequestHandler = async (_req, res, next) => {
    try {
      const text = await registry.metrics();
      res.setHeader('content-type', registry.contentType);
      res.setHeader('cache-control', 'no-store');
      res.send(text);
    } catch (error) {
      next(error);
    }
  };

  return {
    registry,
    cacheLookups,
    rateLimitRejections,
    rateLimitFailOpen,
    webhookDeliveries,
    redisUp,
    observeBatch,
    plugin,
    handler,
  };
}

function soleOperationName(document: DocumentNode | undefined): string | undefined {
  const operations = document?.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION) ?? [];
  return operations.length === 1 ? operations[0]!.name?.value : undefined;
}
