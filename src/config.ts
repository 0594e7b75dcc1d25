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
  dataDir: setting(
    'BYLINE_DATA_DIR',
    '(unset: in memory)',
    'Directory where embedded PGlite keeps its data. Unset, data lives in memory only.',
    (raw) => (raw === undefined || raw === '' ? undefined : raw),
  ),
  publicUrl: setting(
    'BYLINE_PUBLIC_URL',
    'http://localhost:$PORT',
    'Public base URL; canonical article URLs are built on it when an article has none of its own.',
    (raw, env) => {
      const parsed = url('BYLINE_PUBLIC_URL', ['http:', 'https:'])(raw);
      const base = parsed ?? new URL(`http://localhost:${integer('PORT', 4000, 0, 65535)(env['PORT'])}`);
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
  shutdownGraceMs: setting(
    'BYLINE_SHUTDOWN_GRACE_MS',
    '10000',
    'On SIGTERM, how long in-flight requests may take before the process exits.',
    (raw) => integer('BYLINE_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000)(raw),
  ),
  responseCache: setting(
    'BYLINE_RESPONSE_CACHE',
    'true',
    'Cache whole GET responses for public content (PostgreSQL only; cleared on every ingest).',
    (raw) => boolean('BYLINE_RESPONSE_CACHE', true)(raw),
  ),
  responseCacheTtlSeconds: setting(
    'BYLINE_RESPONSE_CACHE_TTL_SECONDS',
    '60',
    'How long a cached response lives at most (bounds how late an embargo lifts in the cache).',
    (raw) => integer('BYLINE_RESPONSE_CACHE_TTL_SECONDS', 60, 1, 86_400)(raw),
  ),
  responseCacheMaxEntries: setting(
    'BYLINE_RESPONSE_CACHE_MAX_ENTRIES',
    '10000',
    'How many responses the in-memory cache holds before evicting the least recently used.',
    (raw) => integer('BYLINE_RESPONSE_CACHE_MAX_ENTRIES', 10_000, 1, 10_000_000)(raw),
  ),
  redisUrl: setting(
    'REDIS_URL',
    '(unset: in-memory cache)',
    'Redis for the response cache, shared by every gateway on the same database.',
    (raw) => url('REDIS_URL', ['redis:', 'rediss:'])(raw),
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
