import { isIP } from 'node:net';

/**
 * Every setting Byline reads from the environment, parsed and validated once at start.
 * Each entry documents itself; `docs/configuration.md` lists the same table.
 */

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

interface Setting<T> {
  readonly variable: string;
  readonly description: string;
  /** The default as shown in docs; `undefined` means unset. */
  readonly defaultText: string;
  readonly parse: (raw: string | undefined, env: Env) => T;
}

function setting<T>(
  variable: string,
  defaultText: string,
  description: string,
  parse: (raw: string | undefined, env: Env) => T,
): Setting<T> {
  return { variable, defaultText, description, parse };
}

function fail(variable: string, expected: string, raw: string): never {
  throw new ConfigError(`${variable}: expected ${expected}, got ${JSON.stringify(raw)}`);
}

function integer(variable: string, fallback: number, min: number, max: number) {
  return (raw: string | undefined): number => {
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw)) fail(variable, `an integer from ${min} to ${max}`, raw);
    const value = Number(raw);
    if (value < min || value > max) fail(variable, `an integer from ${min} to ${max}`, raw);
    return value;
  };
}

const DURATION_UNITS_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/** A duration as a whole number and a unit, `90d`, `12h`, `30m` or `45s`; in milliseconds. */
function duration(variable: string, fallback: number, minMs: number) {
  return (raw: string | undefined): number => {
    if (raw === undefined || raw === '') return fallback;
    const match = /^(\d{1,9})(d|h|m|s)$/.exec(raw.trim());
    const value = match ? Number(match[1]) * DURATION_UNITS_MS[match[2]!]! : NaN;
    if (!(value >= minMs))
      fail(variable, `a duration of at least ${minMs / 1000} s, like 90d, 12h, 30m or 45s`, raw);
    return value;
  };
}

function boolean(variable: string, fallback: boolean) {
  return (raw: string | undefined): boolean => {
    if (raw === undefined || raw === '') return fallback;
    if (/^(true|1|yes|on)$/i.test(raw)) return true;
    if (/^(false|0|no|off)$/i.test(raw)) return false;
    return fail(variable, 'true or false', raw);
  };
}

function optionalBoolean(variable: string) {
  return (raw: string | undefined): boolean | undefined =>
    raw === undefined || raw === '' ? undefined : boolean(variable, false)(raw);
}

function oneOf<const T extends string>(variable: string, values: readonly T[], fallback: T) {
  return (raw: string | undefined): T => {
    if (raw === undefined || raw === '') return fallback;
    if ((values as readonly string[]).includes(raw)) return raw as T;
    return fail(variable, `one of ${values.join(', ')}`, raw);
  };
}

function url(variable: string, protocols: readonly string[]) {
  return (raw: string | undefined): URL | undefined => {
    if (raw === undefined || raw === '') return undefined;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      return fail(variable, `an absolute URL (${protocols.join(' or ')})`, redact(raw));
    }
    if (!protocols.includes(parsed.protocol)) {
      fail(variable, `a URL with protocol ${protocols.join(' or ')}`, redact(raw));
    }
    return parsed;
  };
}

/** Never echo a password from a connection string into an error message or a log. */
function redact(raw: string): string {
  return raw.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/** Addresses and CIDR blocks (IPv4 or IPv6), comma- or space-separated, as `net.BlockList` entries. */
function addressList(variable: string, raw: string | undefined): readonly string[] {
  if (raw === undefined || raw.trim() === '') return [];
  return raw
    .trim()
    .split(/[\s,]+/)
    .map((entry) => {
      const [address = '', prefix, extra] = entry.split('/');
      const family = isIP(address);
      const max = family === 4 ? 32 : 128;
      const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max);
      if (family === 0 || !prefixOk || extra !== undefined) {
        return fail(variable, 'IP addresses or CIDR blocks (10.0.0.0/8, ::1), comma-separated', entry);
      }
      return entry;
    });
}

/** Durations like `0,5s,5m,2h` (a bare number is milliseconds), in milliseconds. */
function durationList(variable: string, raw: string | undefined): readonly number[] {
  const text = raw === undefined || raw.trim() === '' ? '0,5s,5m,30m,2h,5h,10h,10h,10h,10h,10h,10h' : raw;
  const unit: Record<string, number> = { '': 1, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const values = text
    .trim()
    .split(/[\s,]+/)
    .map((entry) => {
      const match = /^(\d{1,9})(ms|s|m|h)?$/.exec(entry);
      if (!match) return fail(variable, 'durations like 0,5s,5m,2h, comma-separated', raw ?? '');
      return Number(match[1]) * unit[match[2] ?? '']!;
    });
  if (values.length > 50) fail(variable, 'at most 50 attempts', raw ?? '');
  return values;
}

/** `frame-ancestors` sources: `*`, `'none'`, or origins (https://www.w3.org/TR/CSP3/#directive-frame-ancestors). */
function frameAncestors(variable: string, raw: string | undefined): readonly string[] {
  if (raw === undefined || raw.trim() === '' || raw.trim() === '*') return ['*'];
  if (raw.trim() === "'none'" || raw.trim() === 'none') return ["'none'"];
  return raw
    .trim()
    .split(/[\s,]+/)
    .map((origin) => {
      if (
        !URL.canParse(origin) ||
        !/^https?:$/.test(new URL(origin).protocol) ||
        new URL(origin).origin !== origin
      ) {
        return fail(variable, "*, 'none' or space-separated http(s) origins without paths", raw);
      }
      return origin;
    });
}

const settings = {
  nodeEnv: setting('NODE_ENV', 'development', 'development, test or production.', (raw) =>
    oneOf('NODE_ENV', ['development', 'test', 'production'] as const, 'development')(raw),
  ),
  port: setting('PORT', '4000', 'TCP port the gateway listens on (0 picks a free one).', (raw) =>
    integer('PORT', 4000, 0, 65535)(raw),
  ),
  host: setting('HOST', '0.0.0.0', 'Interface the gateway binds to.', (raw) => raw || '0.0.0.0'),
  databaseUrl: setting(
    'DATABASE_URL',
    '(unset: embedded PGlite)',
    'PostgreSQL connection string. Unset, Byline runs on embedded PGlite.',
    (raw) => url('DATABASE_URL', ['postgres:', 'postgresql:'])(raw),
  ),
  databasePooler: setting(
    'DATABASE_POOLER',
    'none',
    '`pgbouncer-transaction` when DATABASE_URL goes through PgBouncer in transaction pooling (before 1.21, no prepared statements): statements are sent unnamed, no session settings are sent at connect (each request snapshot sets its own statement_timeout), and LISTEN and migrations use DATABASE_LISTEN_URL.',
    (raw) => oneOf('DATABASE_POOLER', ['none', 'pgbouncer-transaction'] as const, 'none')(raw),
  ),
  databaseListenUrl: setting(
    'DATABASE_LISTEN_URL',
    '(unset: DATABASE_URL)',
    'A direct PostgreSQL connection string (not through a transaction pooler) for the cache listener (LISTEN) and migrations at start. Required with DATABASE_POOLER=pgbouncer-transaction.',
    (raw, env) => {
      const parsed = url('DATABASE_LISTEN_URL', ['postgres:', 'postgresql:'])(raw);
      if (!parsed && env['DATABASE_POOLER'] === 'pgbouncer-transaction' && env['DATABASE_URL']) {
        throw new ConfigError(
          'DATABASE_LISTEN_URL: expected a direct PostgreSQL URL with DATABASE_POOLER=pgbouncer-transaction (LISTEN and migrations need a session of their own), got nothing',
        );
      }
      return parsed;
    },
  ),
  databaseReplicaUrls: setting(
    'DATABASE_REPLICA_URLS',
    '(unset: none)',
    'Streaming replicas of the primary, comma-separated PostgreSQL URLs. Request snapshots read from a healthy one close enough to the primary (BYLINE_REPLICA_MAX_LAG_MS) that has replayed the latest change (read-your-writes by LSN); writes, LISTEN and migrations stay on the primary; a replica that fails is skipped without failing the request.',
    (raw) =>
      raw === undefined || raw.trim() === ''
        ? []
        : raw
            .split(',')
            .map((entry) => url('DATABASE_REPLICA_URLS', ['postgres:', 'postgresql:'])(entry.trim())!)
            .filter(Boolean),
  ),
  replicaMaxLagMs: setting(
    'BYLINE_REPLICA_MAX_LAG_MS',
    '10000',
    'A replica further behind the primary than this (measured from WAL positions) serves no request until it catches up.',
    (raw) => integer('BYLINE_REPLICA_MAX_LAG_MS', 10_000, 1, 3_600_000)(raw),
  ),
  replicaCheckIntervalMs: setting(
    'BYLINE_REPLICA_CHECK_INTERVAL_MS',
    '1000',
    "How often each replica's health and replay position, and the primary's WAL position, are read.",
    (raw) => integer('BYLINE_REPLICA_CHECK_INTERVAL_MS', 1000, 10, 600_000)(raw),
  ),
  dataDir: setting(
    'BYLINE_DATA_DIR',
    '(unset: in memory)',
    'Directory where embedded PGlite keeps its data. Unset, data lives in memory only.',
    (raw) => (raw === undefined || raw === '' ? undefined : raw),
  ),
  serverUrl: setting(
    'BYLINE_SERVER_URL',
    '(unset: a server on PORT when one is running)',
    "A running gateway that the CLI's writing commands (ingest, partner, takedown…) send their writes to, through its API, with BYLINE_API_KEY. Unset, they use a server this machine runs on PORT when its address file is in BYLINE_RUNTIME_DIR, else write to the database directly.",
    (raw) => url('BYLINE_SERVER_URL', ['http:', 'https:'])(raw),
  ),
  apiKey: setting(
    'BYLINE_API_KEY',
    '(unset)',
    'Partner key the CLI presents to BYLINE_SERVER_URL (needs the editor scope to write content, admin to manage partners). Not needed for a server on this machine: it leaves the CLI a key of its own.',
    (raw) => (raw === undefined || raw.trim() === '' ? undefined : raw.trim()),
  ),
  previewSecret: setting(
    'BYLINE_PREVIEW_SECRET',
    '(unset: a random key per process in development; preview links refused in production)',
    'Key (at least 32 characters) that signs preview links (HMAC-SHA256). Every instance must share it, and a link outlives a restart only with it. Changing it invalidates every outstanding link.',
    (raw) => {
      if (raw === undefined || raw === '') return undefined;
      if (raw.length < 32)
        fail('BYLINE_PREVIEW_SECRET', 'at least 32 characters', `${raw.length} characters`);
      return raw;
    },
  ),
  runtimeDir: setting(
    'BYLINE_RUNTIME_DIR',
    '$TMPDIR/byline-$UID',
    'Where a gateway on embedded PGlite leaves its address and a key for the CLI on this machine (a file per port, readable by this user only), so `byline ingest` writes through it instead of to a second copy.',
    (raw) => (raw === undefined || raw === '' ? undefined : raw),
  ),
  publicUrl: setting(
    'BYLINE_PUBLIC_URL',
    'http://localhost:$PORT',
    'Public base URL; canonical article URLs are built on it when an article has none of its own.',
    (raw, env) => {
      const parsed = url('BYLINE_PUBLIC_URL', ['http:', 'https:'])(raw);
      // A bad PORT is reported by PORT itself; the fallback then uses the default.
      const port = /^\d{1,5}$/.test(env['PORT'] ?? '') ? Number(env['PORT']) : 4000;
      const base = parsed ?? new URL(`http://localhost:${port}`);
      return base.href.replace(/\/$/, '');
    },
  ),
  demo: setting('BYLINE_DEMO', 'true', 'Load the demo content into an empty database at start.', (raw) =>
    boolean('BYLINE_DEMO', true)(raw),
  ),
  logLevel: setting('LOG_LEVEL', 'info', 'pino log level.', (raw) =>
    oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info')(raw),
  ),
  introspection: setting(
    'BYLINE_INTROSPECTION',
    'on unless NODE_ENV=production',
    'Allow schema introspection and field suggestions for every caller.',
    (raw) => optionalBoolean('BYLINE_INTROSPECTION')(raw),
  ),
  poolSize: setting('BYLINE_POOL_SIZE', '10', 'Maximum PostgreSQL connections.', (raw) =>
    integer('BYLINE_POOL_SIZE', 10, 1, 1000)(raw),
  ),
  preparedStatements: setting(
    'BYLINE_PREPARED_STATEMENTS',
    'true',
    'Send SQL as named (prepared) statements, planned once per connection (PostgreSQL only).',
    (raw) => boolean('BYLINE_PREPARED_STATEMENTS', true)(raw),
  ),
  poolAcquireTimeoutMs: setting(
    'BYLINE_POOL_ACQUIRE_TIMEOUT_MS',
    '2000',
    'How long a request waits for a connection (or to connect) before failing with SERVICE_UNAVAILABLE.',
    (raw) => integer('BYLINE_POOL_ACQUIRE_TIMEOUT_MS', 2000, 1, 600_000)(raw),
  ),
  statementTimeoutMs: setting(
    'BYLINE_STATEMENT_TIMEOUT_MS',
    '5000',
    'statement_timeout on every connection.',
    (raw) => integer('BYLINE_STATEMENT_TIMEOUT_MS', 5000, 1, 3_600_000)(raw),
  ),
  idleInTransactionTimeoutMs: setting(
    'BYLINE_IDLE_IN_TRANSACTION_TIMEOUT_MS',
    '10000',
    'idle_in_transaction_session_timeout on every connection.',
    (raw) => integer('BYLINE_IDLE_IN_TRANSACTION_TIMEOUT_MS', 10_000, 1, 3_600_000)(raw),
  ),
  requestSnapshot: setting(
    'BYLINE_REQUEST_SNAPSHOT',
    'true',
    'Answer each request from one committed state: its statements share one connection in a read-only repeatable-read transaction, so a concurrent ingest never mixes two versions into an answer. Off, each statement takes any pooled connection.',
    (raw) => boolean('BYLINE_REQUEST_SNAPSHOT', true)(raw),
  ),
  playground: setting(
    'BYLINE_PLAYGROUND',
    'on unless NODE_ENV=production',
    'Serve the GraphiQL playground at /playground (and at /graphql for browsers, in development). Its docs explorer needs introspection (BYLINE_INTROSPECTION).',
    (raw) => optionalBoolean('BYLINE_PLAYGROUND')(raw),
  ),
  metrics: setting('BYLINE_METRICS', 'true', 'Serve Prometheus metrics at /metrics.', (raw) =>
    boolean('BYLINE_METRICS', true)(raw),
  ),
  changesRetentionMs: setting(
    'BYLINE_CHANGES_RETENTION',
    '90d',
    'How long the change log keeps events (`Query.changes`), like 90d, 12h or 30m; older ones are deleted by the serving process, and a cursor before them is refused with CHANGES_CURSOR_EXPIRED (docs/changes.md).',
    (raw) => duration('BYLINE_CHANGES_RETENTION', 90 * 86_400_000, 60_000)(raw),
  ),
  shutdownGraceMs: setting(
    'BYLINE_SHUTDOWN_GRACE_MS',
    '10000',
    'On SIGTERM, how long in-flight requests may take; then their connections are cut and the process exits.',
    (raw) => integer('BYLINE_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000)(raw),
  ),
  providerName: setting(
    'BYLINE_PROVIDER_NAME',
    'Byline',
    'Publication name shown on embed cards and as oEmbed provider_name and JSON-LD publisher.',
    (raw) => (raw === undefined || raw.trim() === '' ? 'Byline' : raw.trim()),
  ),
  embedFrameAncestors: setting(
    'BYLINE_EMBED_FRAME_ANCESTORS',
    '*',
    "Who may frame embed cards requested without a partner: * (anyone), 'none', or space-separated http(s) origins.",
    (raw) => frameAncestors('BYLINE_EMBED_FRAME_ANCESTORS', raw),
  ),
  embedCacheSeconds: setting(
    'BYLINE_EMBED_CACHE_SECONDS',
    '300',
    'max-age of public embed pages and oEmbed responses, and their oEmbed cache_age.',
    (raw) => integer('BYLINE_EMBED_CACHE_SECONDS', 300, 0, 31_536_000)(raw),
  ),
  maxDepth: setting(
    'BYLINE_MAX_DEPTH',
    '10',
    'Deepest field nesting a query may have (introspection counted separately).',
    (raw) => integer('BYLINE_MAX_DEPTH', 10, 1, 1000)(raw),
  ),
  maxAliases: setting(
    'BYLINE_MAX_ALIASES',
    '15',
    'Most aliased fields (including `__typename`) in one operation.',
    (raw) => integer('BYLINE_MAX_ALIASES', 15, 0, 10_000)(raw),
  ),
  maxDirectives: setting('BYLINE_MAX_DIRECTIVES', '10', 'Most directives in one operation.', (raw) =>
    integer('BYLINE_MAX_DIRECTIVES', 10, 0, 10_000)(raw),
  ),
  maxTokens: setting('BYLINE_MAX_TOKENS', '2000', 'Most lexical tokens in one GraphQL document.', (raw) =>
    integer('BYLINE_MAX_TOKENS', 2000, 10, 1_000_000)(raw),
  ),
  maxValidationErrors: setting(
    'BYLINE_MAX_VALIDATION_ERRORS',
    '5',
    'Most validation errors reported for one document.',
    (raw) => integer('BYLINE_MAX_VALIDATION_ERRORS', 5, 1, 1000)(raw),
  ),
  maxBodyBytes: setting(
    'BYLINE_MAX_BODY_BYTES',
    '102400',
    'Largest request body accepted, in bytes (413 beyond).',
    (raw) => integer('BYLINE_MAX_BODY_BYTES', 102_400, 1024, 100_000_000)(raw),
  ),
  costBudget: setting(
    'BYLINE_COST_BUDGET',
    '5000',
    'Query cost budget of anonymous callers (partners have their own, per key).',
    (raw) => integer('BYLINE_COST_BUDGET', 5000, 1, 100_000_000)(raw),
  ),
  costDefaultPageSize: setting(
    'BYLINE_COST_DEFAULT_PAGE_SIZE',
    '20',
    'Page size the cost analysis assumes for a connection without `first`/`last` or a schema default.',
    (raw) => integer('BYLINE_COST_DEFAULT_PAGE_SIZE', 20, 1, 10_000)(raw),
  ),
  costListSize: setting(
    'BYLINE_COST_LIST_SIZE',
    '5',
    "Items the cost analysis assumes for a list without paging arguments (an article's tags, quotes, links): content bounds those, not the caller.",
    (raw) => integer('BYLINE_COST_LIST_SIZE', 5, 1, 10_000)(raw),
  ),
  operations: setting(
    'BYLINE_OPERATIONS',
    'any',
    '`any`: every valid operation runs. `safelist`: anonymous callers may run only the operations in the manifest.',
    (raw) => oneOf('BYLINE_OPERATIONS', ['any', 'safelist'] as const, 'any')(raw),
  ),
  operationsManifest: setting(
    'BYLINE_OPERATIONS_MANIFEST',
    'operations/manifest.json',
    "Safelist manifests, comma-separated: ours (`npm run operations:manifest` writes it from operations/examples/*.graphql) and any partner's.",
    (raw) => raw || 'operations/manifest.json',
  ),
  persistedQueries: setting(
    'BYLINE_PERSISTED_QUERIES',
    'true',
    'Automatic persisted queries (APQ, sha256 hash protocol).',
    (raw) => boolean('BYLINE_PERSISTED_QUERIES', true)(raw),
  ),
  rateLimitPerMinute: setting(
    'BYLINE_RATE_LIMIT_PER_MINUTE',
    '600',
    'Requests per minute per IP for anonymous callers (token bucket); 0 turns rate limiting off. Partners have their own, per key.',
    (raw) => integer('BYLINE_RATE_LIMIT_PER_MINUTE', 600, 0, 10_000_000)(raw),
  ),
  responseCache: setting(
    'BYLINE_RESPONSE_CACHE',
    'true',
    'Cache whole GET responses, per caller visibility and rights (PostgreSQL only; ingest drops the entries of what it changed).',
    (raw) => boolean('BYLINE_RESPONSE_CACHE', true)(raw),
  ),
  responseCacheTtlSeconds: setting(
    'BYLINE_RESPONSE_CACHE_TTL_SECONDS',
    '3600',
    "Ceiling on how long a cached response lives (and its `Cache-Control: max-age`), whatever the schema's `@cacheControl` hints say.",
    (raw) => integer('BYLINE_RESPONSE_CACHE_TTL_SECONDS', 3600, 1, 86_400)(raw),
  ),
  responseCacheMaxEntries: setting(
    'BYLINE_RESPONSE_CACHE_MAX_ENTRIES',
    '100000',
    'How many responses the in-memory cache holds at most, whatever their size (BYLINE_RESPONSE_CACHE_MAX_BYTES bounds their memory).',
    (raw) => integer('BYLINE_RESPONSE_CACHE_MAX_ENTRIES', 100_000, 1, 10_000_000)(raw),
  ),
  responseCacheMaxBytes: setting(
    'BYLINE_RESPONSE_CACHE_MAX_BYTES',
    '67108864',
    'Bytes the in-memory cache may hold (answer bodies with their keys and tags) before evicting the least recently used; 64 MiB by default.',
    (raw) => integer('BYLINE_RESPONSE_CACHE_MAX_BYTES', 64 * 1024 * 1024, 65_536, 2 ** 40)(raw),
  ),
  redisUrl: setting(
    'REDIS_URL',
    '(unset: in process memory)',
    'Redis for rate-limit buckets, the response cache and APQ registrations, shared by every gateway on the same database. Unset, they live in process memory.',
    (raw) => url('REDIS_URL', ['redis:', 'rediss:'])(raw),
  ),
  redisCommandTimeoutMs: setting(
    'BYLINE_REDIS_COMMAND_TIMEOUT_MS',
    '100',
    'How long a Redis command may take before the request goes on without Redis (rate limit allowed, cache miss). While disconnected, commands fail at once.',
    (raw) => integer('BYLINE_REDIS_COMMAND_TIMEOUT_MS', 100, 1, 60_000)(raw),
  ),
  redisRequired: setting(
    'BYLINE_REDIS_REQUIRED',
    'false',
    '/readyz answers 503 while Redis is unreachable. Off, it answers 200 with `status: "degraded"`: the gateway serves correctly without Redis.',
    (raw) => boolean('BYLINE_REDIS_REQUIRED', false)(raw),
  ),
  failedAuthPerMinute: setting(
    'BYLINE_FAILED_AUTH_PER_MINUTE',
    '20',
    'Failed partner keys per minute per IP (token bucket) before every keyed request from that IP gets 429, without a database lookup; 0 turns it off.',
    (raw) => integer('BYLINE_FAILED_AUTH_PER_MINUTE', 20, 0, 10_000_000)(raw),
  ),
  requestTimeoutMs: setting(
    'BYLINE_REQUEST_TIMEOUT_MS',
    '30000',
    "How long a client may take to send a whole request (Node's `server.requestTimeout`); 408 after.",
    (raw) => integer('BYLINE_REQUEST_TIMEOUT_MS', 30_000, 1000, 3_600_000)(raw),
  ),
  trustedProxies: setting(
    'BYLINE_TRUSTED_PROXIES',
    '(unset: none)',
    'Load balancers and proxies whose forwarding headers are believed: addresses or CIDR blocks, comma-separated. Only for a request whose peer is one of them does X-Forwarded-For (or Forwarded) give the client address that rate limits and logs use.',
    (raw) => addressList('BYLINE_TRUSTED_PROXIES', raw),
  ),
  publicUrlFromProxy: setting(
    'BYLINE_PUBLIC_URL_FROM_PROXY',
    'false',
    'Build public URLs (article, embed and oEmbed links) from X-Forwarded-Proto and X-Forwarded-Host (or Forwarded) when a trusted proxy sends them; the response cache then keys answers by that base URL too. Off, BYLINE_PUBLIC_URL alone.',
    (raw) => boolean('BYLINE_PUBLIC_URL_FROM_PROXY', false)(raw),
  ),
  headersTimeoutMs: setting(
    'BYLINE_HEADERS_TIMEOUT_MS',
    '30000',
    "How long a client may take to send the request headers (Node's `server.headersTimeout`, at most BYLINE_REQUEST_TIMEOUT_MS); 408 after.",
    (raw) => integer('BYLINE_HEADERS_TIMEOUT_MS', 30_000, 1000, 3_600_000)(raw),
  ),
  otelSdkDisabled: setting(
    'OTEL_SDK_DISABLED',
    'false',
    'Turns tracing off whatever the other OTEL_* settings say.',
    (raw) => boolean('OTEL_SDK_DISABLED', false)(raw),
  ),
  otelServiceName: setting(
    'OTEL_SERVICE_NAME',
    'byline',
    "The `service.name` of this process's spans.",
    (raw) => (raw === undefined || raw.trim() === '' ? 'byline' : raw.trim()),
  ),
  otelExporterOtlpEndpoint: setting(
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    '(unset: no tracing)',
    'OTLP/HTTP collector base URL; spans go to its `/v1/traces`. Set (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), `byline serve` traces every request (docs/operations.md); unset, it makes no spans at all. Headers for the collector: OTEL_EXPORTER_OTLP_HEADERS, read by the exporter.',
    (raw) => url('OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:'])(raw),
  ),
  otelExporterOtlpTracesEndpoint: setting(
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    '(unset: OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces)',
    'The full URL spans are sent to, when it is not the base endpoint plus `/v1/traces`.',
    (raw) => url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', ['http:', 'https:'])(raw),
  ),
  otelExporterOtlpProtocol: setting(
    'OTEL_EXPORTER_OTLP_PROTOCOL',
    'http/protobuf',
    'How spans are encoded: `http/protobuf` or `http/json` (gRPC is not supported).',
    (raw) =>
      oneOf('OTEL_EXPORTER_OTLP_PROTOCOL', ['http/protobuf', 'http/json'] as const, 'http/protobuf')(raw),
  ),
  webhookWorkers: setting(
    'BYLINE_WEBHOOK_WORKERS',
    '4',
    'Webhook jobs this process runs at once (on PostgreSQL; graphile-worker in-process). 0: this process delivers nothing (another instance does); endpoints may still be registered.',
    (raw) => integer('BYLINE_WEBHOOK_WORKERS', 4, 0, 64)(raw),
  ),
  webhookTimeoutMs: setting(
    'BYLINE_WEBHOOK_TIMEOUT_MS',
    '15000',
    'How long a webhook receiver has to answer (status line and headers) before the attempt counts as failed and is retried.',
    (raw) => integer('BYLINE_WEBHOOK_TIMEOUT_MS', 15_000, 100, 120_000)(raw),
  ),
  webhookRetrySchedule: setting(
    'BYLINE_WEBHOOK_RETRY_SCHEDULE',
    '0,5s,5m,30m,2h,5h,10h,10h,10h,10h,10h,10h',
    'Delay before each delivery attempt, comma-separated (ms, s, m, h): the first is the first attempt, each next one a retry after a failure; after the last, the delivery is failed and its endpoint marked failing. The default is the Standard Webhooks schedule continued to about three days.',
    (raw) => durationList('BYLINE_WEBHOOK_RETRY_SCHEDULE', raw),
  ),
  webhookAllowedNetworks: setting(
    'BYLINE_WEBHOOK_ALLOWED_NETWORKS',
    '(unset: none)',
    'Addresses or CIDR blocks a webhook endpoint may resolve to although they are loopback, private or link-local (refused otherwise, at registration and at every delivery), comma-separated, like `127.0.0.1` or `10.20.0.0/16`.',
    (raw) => addressList('BYLINE_WEBHOOK_ALLOWED_NETWORKS', raw),
  ),
  subscriptionsPerKey: setting(
    'BYLINE_SUBSCRIPTIONS_PER_KEY',
    '100',
    'Live subscriptions (GraphQL over WebSocket) one partner key may hold at once, across its connections to this process; anonymous callers count per IP address. One more is refused with TOO_MANY_SUBSCRIPTIONS.',
    (raw) => integer('BYLINE_SUBSCRIPTIONS_PER_KEY', 100, 1, 1_000_000)(raw),
  ),
  subscriptionsMax: setting(
    'BYLINE_SUBSCRIPTIONS_MAX',
    '10000',
    'Live subscriptions this process holds at once, all callers together; one more is refused with TOO_MANY_SUBSCRIPTIONS.',
    (raw) => integer('BYLINE_SUBSCRIPTIONS_MAX', 10_000, 1, 10_000_000)(raw),
  ),
  subscriptionKeepAliveMs: setting(
    'BYLINE_SUBSCRIPTION_KEEPALIVE_MS',
    '15000',
    'How often the server pings each WebSocket connection; one that has not answered the previous ping by the next is closed with 4408.',
    (raw) => integer('BYLINE_SUBSCRIPTION_KEEPALIVE_MS', 15_000, 100, 600_000)(raw),
  ),
  subscriptionMaxBufferedBytes: setting(
    'BYLINE_SUBSCRIPTION_MAX_BUFFERED_BYTES',
    '1048576',
    'Bytes a WebSocket connection may leave unsent (the client reads too slowly) before it is closed with 4413; the client resumes from its last cursor.',
    (raw) => integer('BYLINE_SUBSCRIPTION_MAX_BUFFERED_BYTES', 1_048_576, 1024, 1_073_741_824)(raw),
  ),
  subscriptionMaxPendingEvents: setting(
    'BYLINE_SUBSCRIPTION_MAX_PENDING_EVENTS',
    '1000',
    'Change events one subscription may have waiting to be sent before its connection is closed with 4413 (a slow consumer).',
    (raw) => integer('BYLINE_SUBSCRIPTION_MAX_PENDING_EVENTS', 1000, 1, 1_000_000)(raw),
  ),
  changesPollMs: setting(
    'BYLINE_CHANGES_POLL_MS',
    '200',
    'How often a process with live subscriptions looks for new change-log events (one read per process, whatever the number of subscribers); on PostgreSQL a notification wakes it sooner.',
    (raw) => integer('BYLINE_CHANGES_POLL_MS', 200, 10, 60_000)(raw),
  ),
  subscriptionKeyCheckMs: setting(
    'BYLINE_SUBSCRIPTION_KEY_CHECK_MS',
    '2000',
    'How often the keys of open WebSocket connections are checked again; a revoked or rotated key has its connections closed with 4403 within this time.',
    (raw) => integer('BYLINE_SUBSCRIPTION_KEY_CHECK_MS', 2000, 50, 600_000)(raw),
  ),
} satisfies Record<string, Setting<unknown>>;

type Settings = typeof settings;
export type Config = { readonly [K in keyof Settings]: ReturnType<Settings[K]['parse']> };

/** The settings table, for `docs/configuration.md` and `byline --help`. */
export const configReference: readonly Pick<Setting<unknown>, 'variable' | 'defaultText' | 'description'>[] =
  Object.values(settings).map(({ variable, defaultText, description }) => ({
    variable,
    defaultText,
    description,
  }));

/** Parses every setting; reports every bad variable at once, each with what it expected. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(settings)) {
    try {
      config[key] = entry.parse(env[entry.variable], env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return Object.freeze(config) as Config;
}

/** Introspection: explicit setting wins; otherwise on everywhere but production. */
export function introspectionEnabled(config: Config): boolean {
  return config.introspection ?? config.nodeEnv !== 'production';
}

/** Where spans are exported, or undefined when tracing is off (no endpoint, or OTEL_SDK_DISABLED). */
export function tracesEndpoint(config: Config): URL | undefined {
  if (config.otelSdkDisabled) return undefined;
  if (config.otelExporterOtlpTracesEndpoint) return config.otelExporterOtlpTracesEndpoint;
  const base = config.otelExporterOtlpEndpoint;
  if (!base) return undefined;
  // https://opentelemetry.io/docs/specs/otel/protocol/exporter/#endpoint-urls-for-otlphttp
  return new URL(`${base.href.replace(/\/$/, '')}/v1/traces`);
}

/** Playground: explicit setting wins; otherwise on everywhere but production. */
export function playgroundEnabled(config: Config): boolean {
  return config.playground ?? config.nodeEnv !== 'production';
}
