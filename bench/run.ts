/**
 * `npm run bench -- [--database-url URL] [--duration 10] [--warmup 5] [--runs 3] [--connections 16]
 *   [--cached-connections 32] [--scenarios article-page,section-front,...] [--label smoke]
 *   [--servers floor,postgraphile,postgraphile5,byline,byline-cached,cache-floor]
 *   [--baseline <checkout> [--baseline-env NAME=value,…]] [--tracing]`
 *
 * Starts the SQL floor, PostGraphile 4 and 5, Byline (without and with its response cache) and the
 * cache floor as separate processes over the same database, checks that they answer every scenario
 * with the same content, then loads each with autocannon from yet another process: a warm-up, then
 * `runs` measured runs, reporting the median. Prints a side-by-side table and the issue's ratios, and
 * writes bench/results/<timestamp>.md and .json. Runs are interleaved across servers within a scenario. `--baseline` adds another Byline (an earlier
 * commit's checkout, or this one with `--baseline-env` turning a setting off), checked for the same
 * answers, with an after÷before column: what a change gave, measured side by side. `--tracing` makes
 * that baseline this checkout with tracing on, exporting over OTLP to a loopback sink in this process:
 * after÷before is then untraced÷traced, the price of tracing.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { firstDifference, normalizePeer, operationOf, projectForPeer, type Scenario } from './compare.ts';
import { benchDatabaseUrl } from './dataset/load.ts';
import { createRandom, createZipf } from './dataset/prng.ts';
import { postgraphileSearchFunctions } from './servers/search-sql.ts';
import type { LoadResult, LoadSpec, RequestVariant } from './load/load-spec.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
export const PUBLIC_URL = 'https://bench.byline.example';
const SCENARIOS: readonly Scenario[] = [
  'article-page',
  'section-front',
  'person-page',
  'person-median',
  'person-top',
  'search',
  'trivial',
];
/** The mixed scenario's weights (issue 6): 50/25/15/10 of article page, section front, person page, search. */
const MIX: readonly [Scenario, number][] = [
  ['article-page', 50],
  ['section-front', 25],
  ['person-page', 15],
  ['search', 10],
];
export type ServerName =
  'floor' | 'postgraphile' | 'postgraphile5' | 'byline' | 'byline-cached' | 'cache-floor' | 'byline-baseline';
const DEFAULT_SERVERS: readonly ServerName[] = [
  'floor',
  'postgraphile',
  'postgraphile5',
  'byline',
  'byline-cached',
  'cache-floor',
];
const SERVER_LABEL: Record<ServerName, string> = {
  floor: 'SQL floor',
  postgraphile: 'PostGraphile 4',
  postgraphile5: 'PostGraphile 5',
  byline: 'Byline (no response cache)',
  'byline-cached': 'Byline (response cache)',
  'cache-floor': 'cache floor (node:http + Map)',
  'byline-baseline': 'Byline baseline (no response cache)',
};
/** The servers answering from memory: loaded at `--cached-connections` (the cache-hit target is at 32). */
const MEMORY_SERVERS: readonly ServerName[] = ['byline-cached', 'cache-floor'];
const SCRIPT: Partial<Record<ServerName, string>> = {
  floor: 'sql-floor.ts',
  postgraphile: 'postgraphile.ts',
  postgraphile5: 'postgraphile5.ts',
  'cache-floor': 'cache-floor.ts',
};
/** Where `byline-baseline` runs from (`--baseline <checkout>`): an earlier commit, for before/after ratios. */
let baselineRoot: string | undefined;
/** Extra environment for `byline-baseline` (`--baseline-env K=V,…`): the same checkout with a setting off. */
const baselineEnv: Record<string, string> = {};

export interface RunningServer {
  readonly name: ServerName;
  readonly origin: string;
  readonly child: ChildProcess;
  output: string;
}

interface Row {
  scenario: string;
  server: ServerName;
  result?: LoadResult;
  runs: LoadResult[];
  statementsPerRequest?: number | undefined;
  /**
   * The server process's CPU time (user + system) per request in each run, in µs: what a request
   * costs it, which a busy shared machine disturbs far less than req/s (Postgres' CPU not included).
   */
  cpuUsPerRequest?: number[];
  /** Byline: statements sent while none of the request's was awaiting its answer (pipelining). */
  roundTripsPerRequest?: number | undefined;
  responseBytes?: number | undefined;
  skipped?: string;
}

const operation = (file: string) => readFileSync(path.join(root, 'bench', 'operations', file), 'utf8');

function median(results: LoadResult[]): LoadResult {
  const sorted = [...results].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function waitFor(url: string, server: RunningServer, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) {
      throw new Error(
        `${server.name} exited with ${server.child.exitCode} before it was ready:\n${server.output}`,
      );
    }
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${server.name} was not ready at ${url} within ${timeoutMs} ms:\n${server.output}`);
}

/** Starts one server as a child process; `nodeArgs` go to Node (for example `--cpu-prof`). */
export function startServer(
  name: ServerName,
  port: number,
  databaseUrl: string,
  nodeArgs: readonly string[] = [],
): RunningServer {
  const env = { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), POOL_SIZE: '10' };
  const args =
    name === 'byline' || name === 'byline-cached'
      ? [path.join(root, 'bin', 'byline.mjs'), 'serve']
      : name === 'byline-baseline'
        ? [path.join(baselineRoot!, 'bin', 'byline.mjs'), 'serve']
        : ['--import', 'tsx', path.join(root, 'bench', 'servers', SCRIPT[name]!)];
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd: name === 'byline-baseline' ? baselineRoot! : root,
    env: {
      ...env,
      // Byline: non-production so responses carry extensions.sql.statements; logs kept quiet.
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      BYLINE_DEMO: 'false',
      BYLINE_PUBLIC_URL: PUBLIC_URL,
      BYLINE_POOL_SIZE: '10',
      // One load generator on one IP: the per-IP limit (600/min by default) would turn load into 429s.
      BYLINE_RATE_LIMIT_PER_MINUTE: '0',
      // (c) Byline without its response cache answers POSTs, which the cache never serves anyway;
      // (d) with it answers the same operations as cacheable GETs.
      BYLINE_RESPONSE_CACHE: name === 'byline-cached' ? 'true' : 'false',
      ...(name === 'byline-baseline' ? baselineEnv : {}),
      // PostGraphile 5: production mode (no development-only checks), as deployed.
      GRAPHILE_ENV: 'production',
      PUBLIC_URL,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server: RunningServer = { name, origin: `http://127.0.0.1:${port}`, child, output: '' };
  const keep = (chunk: Buffer) => {
    server.output = (server.output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return server;
}

/**
 * A loopback OTLP/HTTP receiver that reads and discards what it is sent, as a collector would accept
 * it, counting exports; unref'd so that it never keeps the bench alive.
 */
async function startOtlpSink(): Promise<{ url: string; exports: number; bytes: number }> {
  const counts = { url: '', exports: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (counts.bytes += chunk.length));
    req.on('end', () => {
      counts.exports += 1;
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  counts.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return counts;
}

export async function stopServer(server: RunningServer): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Peak resident set size of a process (VmHWM), in MB, from /proc (Linux). */
export function peakRssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used, in ms, from /proc (Linux; clock ticks of 10 ms). */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

const middle = (values: readonly number[] | undefined): number | undefined =>
  values?.length ? [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] : undefined;

/** Resident set size of a process now (VmRSS), in MB. */
function currentRssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'bench', 'load', 'autocannon-worker.ts')],
      { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    child.stdin.end(JSON.stringify(spec));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(stdout) as LoadResult);
      else reject(new Error(`load worker exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

/** Zipf-popular draws from a list ordered most popular first, seeded so every server gets the same sequence. */
export function draw<T>(items: readonly T[], count: number, seed: number): T[] {
  if (items.length === 0) return [];
  const zipf = createZipf(items.length);
  const random = createRandom(seed);
  return Array.from({ length: count }, () => items[zipf(random)]!);
}

export function variantFor(
  server: ServerName,
  scenario: Scenario,
  argument: string,
): RequestVariant | undefined {
  const variables = scenario === 'search' ? { query: argument } : { slug: argument };
  const document = operationOf(scenario);
  if (server === 'byline' || server === 'byline-baseline') {
    return {
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: operation(`${document}.graphql`), variables }),
    };
  }
  if (server === 'byline-cached' || server === 'cache-floor') {
    const search = new URLSearchParams({
      query: operation(`${document}.graphql`),
      variables: JSON.stringify(variables),
    });
    return { method: 'GET', path: `/graphql?${search}`, headers: { 'apollo-require-preflight': 'true' } };
  }
  if (server === 'floor') return { method: 'GET', path: `/${document}?arg=${encodeURIComponent(argument)}` };
  // PostGraphile 4 and 5 derive the same schema from the tables and answer the same operations.
  return {
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: operation(`postgraphile/${document}.graphql`), variables }),
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of four servers, checked by compare.ts
async function send(origin: string, variant: RequestVariant): Promise<{ json: any; bytes: number }> {
  const init: RequestInit = { method: variant.method };
  if (variant.headers) init.headers = variant.headers;
  if (variant.body !== undefined) init.body = variant.body;
  const response = await fetch(origin + variant.path, init);
  const text = await response.text();
  if (!response.ok)
    throw new Error(
      `${variant.method} ${origin}${variant.path}: HTTP ${response.status}: ${text.slice(0, 500)}`,
    );
  return { json: JSON.parse(text), bytes: Buffer.byteLength(text) };
}

async function statementCount(server: RunningServer): Promise<number> {
  const { json } = await send(server.origin, { method: 'GET', path: '/__stats' });
  return (json as { statements: number }).statements;
}

/** Arguments for each scenario, most popular first: the newest articles, the busiest sections, the most quoted people. */
export async function loadArgumentPools(client: pg.Client): Promise<Record<Scenario, string[]>> {
  const column = async (text: string) => (await client.query<{ v: string }>(text)).rows.map((row) => row.v);
  const visible = `a.status = 'published' and a.published_at <= now()`;
  const quoted = await column(
    `select p.slug as v from people p join quotes q on q.speaker_person_id = p.id
     group by p.id order by count(*) desc, p.id`,
  );
  const articles = await column(
    `select slug as v from articles a where ${visible} order by listed_at desc, id desc limit 1000`,
  );
  return {
    'article-page': articles,
    trivial: articles,
    'section-front': await column(
      `select s.slug as v from sections s join articles a on a.section_id = s.id where ${visible}
       group by s.id order by count(*) desc, s.id`,
    ),
    'person-page': quoted.slice(0, 500),
    // One person each: the one with the median number of quotes among those quoted, and the most quoted.
    'person-median': quoted.slice(Math.floor(quoted.length / 2), Math.floor(quoted.length / 2) + 1),
    'person-top': quoted.slice(0, 1),
    // A person's name as a phrase and a topic word: popular names match many articles, rare ones few.
    search: await column(
      `select '"' || p.name || '" ' || (array['ceasefire', 'election', 'pipeline', 'tariff', 'summit',
         'drought', 'navy', 'inflation'])[1 + (row_number() over (order by count(*) desc, p.id))::int % 8] as v
       from people p join article_mentions m on m.person_id = p.id
       group by p.id order by count(*) desc, p.id limit 500`,
    ),
  };
}

const fmt = (value: number | undefined, digits = 0) =>
  value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'database-url': { type: 'string' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '5' },
      runs: { type: 'string', default: '3' },
      connections: { type: 'string', default: '16' },
      'cached-connections': { type: 'string', default: '32' },
      'fill-cache': { type: 'string', default: '8000' },
      scenarios: { type: 'string', default: [...SCENARIOS, 'mixed'].join(',') },
      label: { type: 'string', default: '' },
      'base-port': { type: 'string', default: '4100' },
      servers: { type: 'string', default: DEFAULT_SERVERS.join(',') },
      baseline: { type: 'string' },
      'baseline-env': { type: 'string', default: '' },
      tracing: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const numbers = Object.fromEntries(
    (
      ['duration', 'warmup', 'runs', 'connections', 'cached-connections', 'fill-cache', 'base-port'] as const
    ).map((name) => {
      const value = Number(values[name]);
      if (!Number.isInteger(value) || value < (name === 'warmup' || name === 'fill-cache' ? 0 : 1)) {
        throw new Error(`--${name}: expected a positive integer, got ${JSON.stringify(values[name])}`);
      }
      return [name, value];
    }),
  ) as Record<
    'duration' | 'warmup' | 'runs' | 'connections' | 'cached-connections' | 'fill-cache' | 'base-port',
    number
  >;
  const wanted = values.scenarios.split(',').map((s) => s.trim());
  for (const scenario of wanted) {
    if (![...SCENARIOS, 'mixed'].includes(scenario as Scenario)) {
      throw new Error(
        `--scenarios: expected a list of ${[...SCENARIOS, 'mixed'].join(', ')}, got "${scenario}"`,
      );
    }
  }

  const activeServers = values.servers.split(',').map((name) => name.trim()) as ServerName[];
  if (values.tracing) {
    if (values.baseline) throw new Error('--tracing: the traced Byline is the baseline; drop --baseline');
    const sink = await startOtlpSink();
    process.on('exit', () => {
      console.log(`OTLP sink: ${sink.exports} exports, ${sink.bytes} bytes received`);
    });
    values.baseline = root;
    values['baseline-env'] = [values['baseline-env'], `OTEL_EXPORTER_OTLP_ENDPOINT=${sink.url}`]
      .filter(Boolean)
      .join(',');
    SERVER_LABEL['byline-baseline'] = 'Byline traced (OTLP to a loopback sink)';
  }
  if (values.baseline) {
    baselineRoot = path.resolve(values.baseline);
    for (const pair of values['baseline-env'].split(',').filter(Boolean)) {
      const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(pair);
      if (!match)
        throw new Error(`--baseline-env: expected NAME=value pairs separated by commas, got "${pair}"`);
      baselineEnv[match[1]!] = match[2]!;
    }
    if (!activeServers.includes('byline-baseline')) activeServers.push('byline-baseline');
  }
  for (const name of activeServers) {
    if (!(name in SERVER_LABEL) || (name === 'byline-baseline' && !baselineRoot)) {
      throw new Error(
        `--servers: expected a list of ${DEFAULT_SERVERS.join(', ')} (byline-baseline with --baseline <checkout>), got "${name}"`,
      );
    }
  }
  if (!activeServers.includes('byline'))
    throw new Error('--servers: byline is the reference and must be included');
  if (activeServers.includes('cache-floor') && !activeServers.includes('byline-cached'))
    throw new Error('--servers: cache-floor answers the bytes byline-cached answered; include byline-cached');
  const databaseUrl = benchDatabaseUrl(values['database-url']);
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `cannot connect to ${databaseUrl.replace(/:[^:@/]*@/, ':***@')} (${(error as Error).message}): ` +
        'start a local Postgres or pass --database-url, then run `npm run bench:data -- --articles 2000`',
    );
  }
  let meta: { dataset: string; articles: number; postgres: string };
  let pools: Record<Scenario, string[]>;
  let fillSlugs: string[] = [];
  try {
    const count = await client
      .query<{ n: number }>('select count(*)::int as n from articles')
      .catch(() => undefined);
    if (!count || count.rows[0]!.n === 0) {
      throw new Error(
        `no articles in ${new URL(databaseUrl).pathname.slice(1)}: run \`npm run bench:data -- --articles 2000\` first`,
      );
    }
    const described = await client.query<{ d: string | null }>(
      `select shobj_description(oid, 'pg_database') as d from pg_database where datname = current_database()`,
    );
    const version = await client.query<{ v: string }>('select version() as v');
    meta = {
      dataset: described.rows[0]?.d ?? 'unknown',
      articles: count.rows[0]!.n,
      postgres: version.rows[0]!.v,
    };
    pools = await loadArgumentPools(client);
    fillSlugs = (
      await client.query<{ slug: string }>(
        `select slug from articles where status = 'published' and published_at <= now() order by id limit $1`,
        [numbers['fill-cache']],
      )
    ).rows.map((row) => row.slug);
    // PostGraphile exposes custom SQL as functions: its search must exist before it reads the schema.
    await client.query(postgraphileSearchFunctions);
  } finally {
    await client.end();
  }

  const servers = activeServers.map((name, index) =>
    startServer(name, numbers['base-port'] + index, databaseUrl),
  );
  const stopAll = () => Promise.all(servers.map(stopServer));
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  const rows: Row[] = [];
  const loadAverage = { start: os.loadavg(), end: [] as number[] };
  const started = new Date();
  try {
    await Promise.all(
      servers.map((server) =>
        waitFor(server.origin + (server.name.startsWith('byline') ? '/readyz' : '/__stats'), server, 180_000),
      ),
    );
    const byServer = Object.fromEntries(servers.map((s) => [s.name, s])) as Record<ServerName, RunningServer>;

    // Correctness first: the same content from every server, for a few arguments of each scenario.
    const scenarios = SCENARIOS.filter((s) => wanted.includes(s));
    for (const scenario of scenarios) {
      for (const name of activeServers) {
        const row: Row = { scenario, server: name, runs: [] };
        rows.push(row);
        if (!variantFor(name, scenario, 'x')) row.skipped = 'no equivalent';
      }
      const samples = [...new Set(pools[scenario])].slice(0, 3);
      if (samples.length === 0) throw new Error(`no arguments for ${scenario}: the data set is too small`);
      for (const argument of samples) {
        const byline = await send(byServer.byline.origin, variantFor('byline', scenario, argument)!);
        const rootValue = Object.values(byline.json.data ?? {})[0];
        if (byline.json.errors || rootValue === null || rootValue === undefined) {
          throw new Error(
            `Byline answered ${scenario}(${argument}) with no content: ${JSON.stringify(byline.json).slice(0, 500)}`,
          );
        }
        for (const name of ['floor', 'postgraphile', 'postgraphile5'] as const) {
          const variant = variantFor(name, scenario, argument);
          if (!variant || !byServer[name]) continue;
          const before = await statementCount(byServer[name]);
          const answer = await send(byServer[name].origin, variant);
          const statements = (await statementCount(byServer[name])) - before;
          const expected =
            name === 'floor'
              ? byline.json.data
              : projectForPeer(
                  scenario,
                  byline.json.data,
                  normalizePeer(scenario, answer.json.data, PUBLIC_URL),
                );
          const actual =
            name === 'floor' ? answer.json.data : normalizePeer(scenario, answer.json.data, PUBLIC_URL);
          const difference = answer.json.errors
            ? `errors: ${JSON.stringify(answer.json.errors)}`
            : firstDifference(expected, actual);
          if (difference)
            throw new Error(
              `${SERVER_LABEL[name]} differs from Byline on ${scenario}(${argument}): ${difference}`,
            );
          const row = rows.find((r) => r.scenario === scenario && r.server === name)!;
          row.statementsPerRequest = Math.max(row.statementsPerRequest ?? 0, statements);
          row.responseBytes = Math.max(row.responseBytes ?? 0, answer.bytes);
        }
        // The earlier Byline must answer exactly as this one does.
        if (byServer['byline-baseline']) {
          const before = await send(
            byServer['byline-baseline'].origin,
            variantFor('byline-baseline', scenario, argument)!,
          );
          const difference = firstDifference(byline.json.data, before.json.data);
          if (difference)
            throw new Error(`Byline baseline differs on ${scenario}(${argument}): ${difference}`);
          const baselineRow = rows.find((r) => r.scenario === scenario && r.server === 'byline-baseline')!;
          baselineRow.statementsPerRequest = Math.max(
            baselineRow.statementsPerRequest ?? 0,
            before.json.extensions?.sql?.statements ?? NaN,
          );
          baselineRow.responseBytes = Math.max(baselineRow.responseBytes ?? 0, before.bytes);
        }
        // The cached server: the first GET fills the cache, the second is a hit; both must carry Byline's content.
        if (byServer['byline-cached']) {
          const cachedVariant = variantFor('byline-cached', scenario, argument)!;
          const miss = await send(byServer['byline-cached'].origin, cachedVariant);
          const hit = await send(byServer['byline-cached'].origin, cachedVariant);
          for (const answer of [miss, hit]) {
            const difference = firstDifference(byline.json.data, answer.json.data);
            if (difference)
              throw new Error(`the cached Byline differs on ${scenario}(${argument}): ${difference}`);
          }
          const cachedRow = rows.find((r) => r.scenario === scenario && r.server === 'byline-cached')!;
          cachedRow.statementsPerRequest = Math.max(
            cachedRow.statementsPerRequest ?? 0,
            hit.json.extensions?.sql?.statements ?? 0,
          );
          cachedRow.responseBytes = Math.max(cachedRow.responseBytes ?? 0, hit.bytes);
        }
        const row = rows.find((r) => r.scenario === scenario && r.server === 'byline')!;
        row.statementsPerRequest = Math.max(
          row.statementsPerRequest ?? 0,
          byline.json.extensions?.sql?.statements ?? NaN,
        );
        row.responseBytes = Math.max(row.responseBytes ?? 0, byline.bytes);
        row.roundTripsPerRequest = Math.max(
          row.roundTripsPerRequest ?? 0,
          byline.json.extensions?.sql?.roundTrips ?? NaN,
        );
      }
      console.error(
        `check ${scenario}: same content from ${activeServers.filter((n) => variantFor(n, scenario, 'x')).join(', ')}`,
      );
    }

    // The mixed scenario uses what every server answers.
    const mix = MIX.filter(([scenario]) => activeServers.every((name) => variantFor(name, scenario, 'x')));
    const variantsFor = (name: ServerName, scenario: Scenario | 'mixed'): RequestVariant[] => {
      if (scenario !== 'mixed')
        return draw(pools[scenario], 2000, 6).map((arg) => variantFor(name, scenario, arg)!);
      const total = mix.reduce((sum, [, weight]) => sum + weight, 0);
      const random = createRandom(7);
      const perScenario = Object.fromEntries(mix.map(([s]) => [s, variantsFor(name, s)]));
      return Array.from({ length: 2000 }, (_, i) => {
        let roll = random.next() * total;
        const [picked] = mix.find(([, weight]) => (roll -= weight) < 0) ?? mix[0]!;
        return perScenario[picked]![i]!;
      });
    };
    if (wanted.includes('mixed')) {
      for (const name of activeServers)
        rows.push({
          scenario: `mixed (${mix.map(([s, w]) => `${w} ${s}`).join(' / ')})`,
          server: name,
          runs: [],
        });
    }

    // Each scenario: every server warmed up, then the measured runs interleaved (run 1 of every server,
    // then run 2, …), so a shared machine's drifting speed falls on all servers alike.
    const measured = rows.filter((r) => !r.skipped);
    for (const scenarioName of [...new Set(measured.map((r) => r.scenario))]) {
      const group = measured.filter((r) => r.scenario === scenarioName);
      const scenario = scenarioName.startsWith('mixed') ? 'mixed' : (scenarioName as Scenario);
      // Before the mixed run, the cached Byline's cache is filled with many varied URLs (article pages
      // of --fill-cache articles), so its resident memory is measured with a full cache.
      if (scenario === 'mixed' && byServer['byline-cached'] && fillSlugs.length > 0) {
        const filled = await answersOf(
          byServer['byline-cached'].origin,
          fillSlugs.map((slug) => variantFor('byline-cached', 'article-page', slug)!),
        );
        console.error(
          `filled the cached Byline with ${filled.length} article pages (${filled.reduce((n, [, body]) => n + Buffer.byteLength(body), 0)} bytes of answers); RSS now ${fmt(currentRssMb(byServer['byline-cached'].child.pid))} MB`,
        );
      }
      const specOf = (row: Row, durationSeconds: number): LoadSpec => ({
        origin: servers.find((s) => s.name === row.server)!.origin,
        connections: MEMORY_SERVERS.includes(row.server)
          ? numbers['cached-connections']
          : numbers.connections,
        durationSeconds,
        variants: variantsFor(row.server, scenario),
      });
      for (const row of group) {
        // The cache floor answers exactly the bytes the cached Byline answered for each URL (its
        // warm-up, just before, filled its cache, so these are mostly hits).
        if (row.server === 'cache-floor') {
          const bytes = await answersOf(
            byServer['byline-cached'].origin,
            variantsFor('cache-floor', scenario),
          );
          const loaded = await fetch(`${byServer['cache-floor'].origin}/__load`, {
            method: 'PUT',
            body: JSON.stringify(bytes),
          });
          if (!loaded.ok) throw new Error(`cache floor refused its answers: HTTP ${loaded.status}`);
        }
        if (numbers.warmup > 0) await runLoad(specOf(row, numbers.warmup));
      }
      for (let run = 0; run < numbers.runs; run++) {
        for (const row of group) {
          const pid = servers.find((s) => s.name === row.server)!.child.pid;
          const cpuBefore = cpuMs(pid);
          const result = await runLoad(specOf(row, numbers.duration));
          const cpuAfter = cpuMs(pid);
          row.runs.push(result);
          if (cpuBefore !== undefined && cpuAfter !== undefined && result.totalRequests > 0) {
            (row.cpuUsPerRequest ??= []).push(((cpuAfter - cpuBefore) * 1000) / result.totalRequests);
          }
        }
      }
      for (const row of group) {
        row.result = median(row.runs);
        console.error(
          `${row.scenario} × ${SERVER_LABEL[row.server]}: ${fmt(row.result.requestsPerSecond)} req/s, p99 ${row.result.p99Ms} ms` +
            ` (runs: ${row.runs.map((r) => fmt(r.requestsPerSecond)).join(', ')})`,
        );
      }
    }
    loadAverage.end = os.loadavg();
    const rss = Object.fromEntries(servers.map((s) => [s.name, peakRssMb(s.child.pid)])) as Record<
      ServerName,
      number | undefined
    >;

    const table = renderTable(rows, rss, activeServers) + '\n' + renderTargets(rows, rss);
    console.log(table);
    const report = {
      startedAt: started.toISOString(),
      label: values.label || null,
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
      settings: { ...numbers, scenarios: wanted, mix },
      dataset: meta,
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        memoryGb: Math.round(os.totalmem() / 2 ** 30),
        kernel: `${os.type()} ${os.release()}`,
        loadAverage,
      },
      versions: versions(),
      rows,
      peakRssMb: rss,
    };
    const results = path.join(root, 'bench', 'results');
    mkdirSync(results, { recursive: true });
    const stamp =
      started.toISOString().slice(0, 16).replace(':', '') + (values.label ? `-${values.label}` : '');
    writeFileSync(path.join(results, `${stamp}.json`), JSON.stringify(report, null, 2) + '\n');
    writeFileSync(path.join(results, `${stamp}.md`), renderMarkdown(report, table));
    console.error(`wrote bench/results/${stamp}.md and .json`);
    return 0;
  } finally {
    await stopAll();
  }
}

function versions(): Record<string, string> {
  const version = (name: string) => {
    try {
      return (
        JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version;
    } catch {
      return 'unknown';
    }
  };
  const commitOf = (dir: string) => {
    try {
      let commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .toString()
        .trim();
      if (execFileSync('git', ['status', '--porcelain'], { cwd: dir }).toString().trim())
        commit += ' (uncommitted changes)';
      return commit;
    } catch {
      return 'unknown'; // not a git checkout
    }
  };
  return {
    byline: commitOf(root),
    ...(baselineRoot && {
      'byline baseline': `${commitOf(baselineRoot)} in ${baselineRoot}${
        Object.keys(baselineEnv).length
          ? ` with ${Object.entries(baselineEnv)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`
          : ''
      }`,
    }),
    node: process.version,
    ...Object.fromEntries(
      [
        '@apollo/server',
        'graphql',
        'express',
        'pg',
        'kysely',
        'postgraphile',
        'postgraphile5',
        'autocannon',
      ].map((n) => [n, version(n)]),
    ),
  };
}

/** Each distinct GET's answer from the cached Byline: [path, body, etag], fetched 8 at a time. */
async function answersOf(
  origin: string,
  variants: readonly RequestVariant[],
): Promise<[string, string, string][]> {
  const paths = [...new Set(variants.map((variant) => variant.path))];
  const answers: [string, string, string][] = [];
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const requestPath = paths[next++]!;
      const response = await fetch(origin + requestPath, { headers: { 'apollo-require-preflight': 'true' } });
      const body = await response.text();
      if (!response.ok)
        throw new Error(`GET ${requestPath.slice(0, 80)}…: HTTP ${response.status}: ${body.slice(0, 200)}`);
      answers.push([requestPath, body, response.headers.get('etag') ?? '']);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return answers;
}

/** The issue's targets, one line per scenario: every ratio side by side. */
function renderTargets(rows: Row[], rss: Record<ServerName, number | undefined>): string {
  const scenarios = [...new Set(rows.map((row) => row.scenario))];
  const header = [
    'scenario',
    'Byline req/s',
    '÷ PostGraphile 4',
    '÷ PostGraphile 5',
    '÷ SQL floor',
    'cached ÷ cache floor',
    'cached p99 ms',
    'cache floor p99 ms',
    'Byline CPU µs/req',
    'PG4 CPU ÷ Byline CPU',
    'PG5 CPU ÷ Byline CPU',
    'Byline SQL/req',
    'Byline round trips/req',
    'PG4 SQL/req',
    'PG5 SQL/req',
  ];
  const lines = scenarios.map((scenario) => {
    const row = (name: ServerName) => rows.find((r) => r.scenario === scenario && r.server === name);
    const rps = (name: ServerName) => row(name)?.result?.requestsPerSecond;
    const ratio = (a: number | undefined, b: number | undefined) =>
      a !== undefined && b ? (a / b).toFixed(2) : 'n/a';
    return [
      scenario,
      fmt(rps('byline')),
      ratio(rps('byline'), rps('postgraphile')),
      ratio(rps('byline'), rps('postgraphile5')),
      ratio(rps('byline'), rps('floor')),
      ratio(rps('byline-cached'), rps('cache-floor')),
      fmt(row('byline-cached')?.result?.p99Ms, 1),
      fmt(row('cache-floor')?.result?.p99Ms, 1),
      fmt(middle(row('byline')?.cpuUsPerRequest)),
      // Per request, the peer's CPU ÷ Byline's: above 1, Byline spends less (as req/s ratios read).
      ratio(middle(row('postgraphile')?.cpuUsPerRequest), middle(row('byline')?.cpuUsPerRequest)),
      ratio(middle(row('postgraphile5')?.cpuUsPerRequest), middle(row('byline')?.cpuUsPerRequest)),
      fmt(row('byline')?.statementsPerRequest),
      fmt(row('byline')?.roundTripsPerRequest),
      fmt(row('postgraphile')?.statementsPerRequest),
      fmt(row('postgraphile5')?.statementsPerRequest),
    ];
  });
  const markdown = [header, ...lines].map((cells) => `| ${cells.join(' | ')} |`);
  markdown.splice(1, 0, `| ${header.map(() => '---').join(' | ')} |`);
  return [
    'Ratios (req/s of Byline without its cache ÷ each peer; the cached Byline ÷ the cache floor, both at --cached-connections):',
    '',
    ...markdown,
    '',
    `Peak RSS: Byline (no response cache) ${fmt(rss['byline'])} MB, Byline (response cache) ${fmt(rss['byline-cached'])} MB.`,
    '',
  ].join('\n');
}

/** CPU per request of one row ÷ another's. */
function cpuRatio(mine: Row, other: Row | undefined): string {
  const a = middle(mine.cpuUsPerRequest);
  const b = middle(other?.cpuUsPerRequest);
  return a !== undefined && b ? (a / b).toFixed(2) : '';
}

function renderTable(
  rows: Row[],
  rss: Record<ServerName, number | undefined>,
  servers: readonly ServerName[],
): string {
  const header = [
    'scenario',
    'server',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'SQL/req',
    'bytes',
    'CPU µs/req',
    'Byline÷floor',
    'Byline÷PostGraphile',
    'cached÷uncached',
    ...(servers.includes('byline-baseline') ? ['after÷before', 'CPU/req after÷before'] : []),
  ];
  const lines = rows.map((row) => {
    const of = (name: ServerName) =>
      rows.find((r) => r.scenario === row.scenario && r.server === name)?.result?.requestsPerSecond;
    const mine = row.result?.requestsPerSecond;
    const ratio = (other: number | undefined) =>
      row.server.startsWith('byline') && mine !== undefined && other ? (mine / other).toFixed(2) : '';
    if (row.skipped)
      return [
        row.scenario,
        SERVER_LABEL[row.server],
        `skipped: ${row.skipped}`,
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        ...(servers.includes('byline-baseline') ? ['', ''] : []),
      ];
    return [
      row.scenario,
      SERVER_LABEL[row.server],
      fmt(row.result?.requestsPerSecond),
      fmt(row.result?.p50Ms, 1),
      fmt(row.result?.p99Ms, 1),
      fmt(row.result?.errors),
      fmt(row.statementsPerRequest),
      fmt(row.responseBytes),
      fmt(middle(row.cpuUsPerRequest)),
      ratio(of('floor')),
      ratio(of('postgraphile')),
      row.server === 'byline-cached' ? ratio(of('byline')) : '',
      ...(servers.includes('byline-baseline')
        ? row.server === 'byline'
          ? [
              ratio(of('byline-baseline')),
              cpuRatio(
                row,
                rows.find((r) => r.scenario === row.scenario && r.server === 'byline-baseline'),
              ),
            ]
          : ['', '']
        : []),
    ];
  });
  const all = [header, ...lines];
  const markdown = all.map((cells) => `| ${cells.join(' | ')} |`);
  markdown.splice(1, 0, `| ${header.map(() => '---').join(' | ')} |`);
  const rssLine = `Peak RSS (VmHWM) over the whole run: ${servers.map((n) => `${SERVER_LABEL[n]} ${fmt(rss[n])} MB`).join(', ')}`;
  return `${markdown.join('\n')}\n\n${rssLine}\n`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of four servers, checked by compare.ts
function renderMarkdown(report: Record<string, any>, table: string): string {
  return [
    `# Benchmark ${report['startedAt']}${report['label'] ? ` (${report['label']})` : ''}`,
    '',
    `Command: \`${report['command']}\``,
    `Data set: ${report['dataset'].dataset} (${report['dataset'].articles} articles); ${report['dataset'].postgres}`,
    `Machine: ${report['machine'].cpus} × ${report['machine'].cpuModel}, ${report['machine'].memoryGb} GB, ${report['machine'].kernel};` +
      ` load average at start ${report['machine'].loadAverage.start.map((n: number) => n.toFixed(2)).join(' ')},` +
      ` at end ${report['machine'].loadAverage.end.map((n: number) => n.toFixed(2)).join(' ')}`,
    `Versions: ${Object.entries(report['versions'])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `Load: autocannon in its own process, ${report['settings'].connections} connections, closed loop; ` +
      `${report['settings'].warmup} s warm-up, then the median (by req/s) of ${report['settings'].runs} runs of ${report['settings'].duration} s, ` +
      'interleaved: run 1 of every server, then run 2, ….',
    `Byline (response cache) and the cache floor: ${report['settings']['cached-connections']} connections.`,
    'SQL/req: statements per request (Byline: `extensions.sql.statements`, content statements, plus its ' +
      "snapshot's BEGIN and COMMIT when `BYLINE_REQUEST_SNAPSHOT` opens one; the others: statements their pool ran). " +
      'bytes: the largest response among the checked arguments.',
    '',
    table,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
