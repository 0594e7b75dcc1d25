/**
 * `npm run bench:scale:import -- [--database-url URL] [--shape 1000000] [--articles 100000]`
 *
 * The archive import into a live database: `byline serve` (response cache off) answers article pages
 * in a loop, one request at a time, while `bench:data` appends `--articles` more documents to the
 * data set of `--shape` articles through the bulk path (`ingest --bulk`'s batches). Prints the
 * import's rate and the article page's p50/p99 and failures during it, and the same before it.
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { benchDatabaseUrl } from '../dataset/load.ts';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/byline_scale_1m' },
    shape: { type: 'string', default: '1000000' },
    articles: { type: 'string', default: '100000' },
    port: { type: 'string', default: '4518' },
  },
});
const url = benchDatabaseUrl(values['database-url']);
const PORT = Number(values.port);
const shape = Number(values.shape);
const extra = Number(values.articles);

const QUERY = `query ($slug: String!) { article(slug: $slug) { slug headline standfirst publishedAt
  section { slug name } tags { slug name } leadImage { url alt } authors { slug name }
  quotes { text speakerName } relatedLinks { title target { slug } }
  body { __typename ... on ParagraphBlock { text } } } }`;

async function main() {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const slugs = (
    await pool.query(`select slug from articles where status = 'published' and published_at <= now()
      and id % 997 = 3 order by id limit 200`)
  ).rows.map((row) => row.slug as string);
  await pool.end();
  const server = spawn('node_modules/.bin/node', ['bin/byline.mjs', 'serve'], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      BYLINE_RESPONSE_CACHE: 'false',
      BYLINE_RATE_LIMIT_PER_MINUTE: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let ready = false; !ready;) {
    ready = await fetch(`http://127.0.0.1:${PORT}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  let i = 0;
  const loop = async (shouldStop: () => boolean) => {
    const times: number[] = [];
    let failed = 0;
    while (!shouldStop()) {
      const started = performance.now();
      try {
        const response = await fetch(`http://127.0.0.1:${PORT}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: QUERY, variables: { slug: slugs[i++ % slugs.length] } }),
        });
        const body = (await response.json()) as { errors?: unknown[]; data?: { article: unknown } };
        if (response.status !== 200 || body.errors || !body.data?.article) failed += 1;
      } catch {
        failed += 1;
      }
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const at = (p: number) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)] ?? NaN;
    return { requests: times.length, failed, p50: at(0.5), p99: at(0.99) };
  };
  const beforeUntil = performance.now() + 15_000;
  const before = await loop(() => performance.now() > beforeUntil);
  let importing = true;
  const started = performance.now();
  const load = spawn(
    'node_modules/.bin/tsx',
    [
      'bench/dataset/load.ts',
      '--articles',
      String(shape + extra),
      '--from',
      String(shape),
      '--shape',
      String(shape),
      '--database-url',
      url,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const loaded = new Promise<number | null>((resolve) =>
    load.once('exit', (code) => {
      importing = false;
      resolve(code);
    }),
  );
  const during = await loop(() => !importing);
  const code = await loaded;
  const seconds = (performance.now() - started) / 1000;
  server.kill('SIGTERM');
  const row = (name: string, r: typeof before) =>
    `| ${name} | ${r.requests} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.failed} |`;
  console.log(
    [
      `# Archive import while serving: ${extra} articles appended to the ${shape}-article data set`,
      '',
      `Import: exit ${code}, ${seconds.toFixed(1)} s wall clock including the final ANALYZE, ${(extra / seconds).toFixed(0)} articles/s.`,
      '',
      '| article page, one request at a time | requests | p50 ms | p99 ms | failed |',
      '|---|---:|---:|---:|---:|',
      row('before the import (15 s)', before),
      row('during the import', during),
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  console.error(`bench:scale:import failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
});
