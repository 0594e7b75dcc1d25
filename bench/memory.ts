/**
 * Where the cached gateway's memory goes, phase by phase: `byline serve` with its response cache, its
 * resident memory (/proc VmRSS, VmHWM) and V8's heap and external memory (its /metrics) after start,
 * after one request of each scenario, after filling the cache with --fill article pages (varied
 * URLs), and after --duration s of the mixed load (c=16) over those pages and the other scenarios.
 *
 *   npm run bench:memory -- [--database-url URL] [--fill 8000] [--duration 20] [--node-args="--max-old-space-size=96"]
 *
 * Extra settings go through the environment (BYLINE_RESPONSE_CACHE_MAX_BYTES=…).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { benchDatabaseUrl } from './dataset/load.ts';
import {
  draw,
  loadArgumentPools,
  runLoad,
  startServer,
  stopServer,
  variantFor,
  waitFor,
  type RunningServer,
} from './run.ts';
import type { RequestVariant } from './load/load-spec.ts';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    fill: { type: 'string', default: '8000' },
    duration: { type: 'string', default: '20' },
    port: { type: 'string', default: '4790' },
    'node-args': { type: 'string', default: '' },
  },
  strict: true,
});

function proc(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(match![1]) / 1024);
}

async function metrics(origin: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const read = (name: string) => {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
    return match ? Math.round(Number(match[1]) / 1024 / 1024) : NaN;
  };
  return {
    heapUsed: read('nodejs_heap_size_used_bytes'),
    heapTotal: read('nodejs_heap_size_total_bytes'),
    external: read('nodejs_external_memory_bytes'),
  };
}

async function send(origin: string, variant: RequestVariant, attempts = 3): Promise<number> {
  try {
    const response = await fetch(`${origin}${variant.path}`, {
      method: variant.method,
      ...(variant.headers && { headers: variant.headers }),
      ...(variant.body !== undefined && { body: variant.body }),
    });
    return (await response.arrayBuffer()).byteLength;
  } catch (error) {
    // A kept-alive socket the server closed meanwhile (a loaded machine's timeouts): once more.
    if (attempts <= 1) throw error;
    return send(origin, variant, attempts - 1);
  }
}

async function main(): Promise<void> {
  const databaseUrl = benchDatabaseUrl(values['database-url']);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const pools = await loadArgumentPools(client);
  const { rows } = await client.query<{ slug: string }>(
    `select slug from articles where status = 'published' and taken_down_at is null order by listed_at desc limit $1`,
    [Number(values.fill)],
  );
  await client.end();
  const nodeArgs = values['node-args'].split(' ').filter(Boolean);
  const server: RunningServer = startServer('byline-cached', Number(values.port), databaseUrl, nodeArgs);
  const pid = server.child.pid!;
  const phases: string[] = [];
  const note = async (phase: string, extra = '') => {
    const m = await metrics(server.origin);
    const line = `| ${phase} | ${proc(pid, 'VmRSS')} | ${proc(pid, 'VmHWM')} | ${m.heapUsed} | ${m.heapTotal} | ${m.external} | ${extra} |`;
    phases.push(line);
    console.error(line);
  };
  try {
    await waitFor(`${server.origin}/readyz`, server, 600_000);
    await note('started');
    for (const scenario of ['article-page', 'section-front', 'person-page', 'search', 'trivial'] as const) {
      await send(server.origin, variantFor('byline-cached', scenario, pools[scenario][0]!)!);
    }
    await note('one request of each scenario');
    let bytes = 0;
    const fill = rows.map((row) => variantFor('byline-cached', 'article-page', row.slug)!);
    for (let i = 0; i < fill.length; i += 16) {
      const sizes = await Promise.all(fill.slice(i, i + 16).map((variant) => send(server.origin, variant)));
      bytes += sizes.reduce((a, b) => a + b, 0);
    }
    await note(
      `filled with ${fill.length} article pages`,
      `${Math.round(bytes / 1024 / 1024)} MB of answers`,
    );
    const mixed = [
      ...draw(
        rows.map((row) => row.slug),
        500,
        1,
      ).map((slug) => variantFor('byline-cached', 'article-page', slug)!),
      ...draw(pools['section-front'], 250, 2).map((slug) =>
        variantFor('byline-cached', 'section-front', slug)!,
      ),
      ...draw(pools['person-page'], 150, 3).map((slug) => variantFor('byline-cached', 'person-page', slug)!),
      ...draw(pools.search, 100, 4).map((query) => variantFor('byline-cached', 'search', query)!),
    ];
    const result = await runLoad({
      origin: server.origin,
      connections: 16,
      durationSeconds: Number(values.duration),
      variants: mixed,
    });
    await note(
      `mixed load c=16 ${values.duration} s`,
      `${Math.round(result.requestsPerSecond)} req/s, ${result.errors} errors`,
    );
  } finally {
    await stopServer(server);
  }
  console.log(
    [
      `node args: ${nodeArgs.join(' ') || '(none)'}; BYLINE_RESPONSE_CACHE_MAX_BYTES=${process.env['BYLINE_RESPONSE_CACHE_MAX_BYTES'] ?? '(default)'}`,
      '',
      '| phase | RSS MB | peak RSS MB | heap used MB | heap total MB | external MB | |',
      '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
      ...phases,
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
