/**
 * `npm run bench:scale -- [--database-url URL] [--requests 50] [--concurrency 16] [--duration 10] [--out FILE]`
 *
 * The archive-scale check (docs/performance.md, "A million articles"): against a data set built by
 * `bench:data` (1M articles for the scale check), one `byline serve` with its response cache off:
 * - every scenario `--requests` times in sequence, warm (after one untimed round), p50/p99 in ms;
 * - search, quote search and the article page at `--concurrency` for `--duration` s: requests/s;
 * - cold: Byline restarted, the first request of each scenario (Postgres keeps its caches: the
 *   shared server is not restarted; see the docs for how its cold state was measured);
 * - EXPLAIN (ANALYZE, BUFFERS) of the three slowest scenarios' main statement, and the database size.
 * Prints a Markdown report and writes it (and JSON) under bench/results/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import { encodeCursor } from '../../src/shared/connection.ts';
import { anonymousViewer } from '../../src/shared/viewer.ts';
import { searchArticles, findRelatedArticles } from '../../src/modules/search/search.repository.ts';
import { listQuotes } from '../../src/modules/quotes/quotes.repository.ts';
import { listPeople } from '../../src/modules/people/people.repository.ts';
import { benchDatabaseUrl } from '../dataset/load.ts';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/byline_scale_1m' },
    requests: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '16' },
    duration: { type: 'string', default: '10' },
    port: { type: 'string', default: '4517' },
    label: { type: 'string', default: 'scale' },
  },
});
const url = benchDatabaseUrl(values['database-url']);
const REQUESTS = Number(values.requests);
const PORT = Number(values.port);

const pool = new pg.Pool({ connectionString: url, max: 2 });
const one = async <T>(text: string, params: unknown[] = []) => (await pool.query(text, params)).rows[0] as T;

interface Scenario {
  readonly name: string;
  readonly query: string;
  /** Variables of each request, cycled. */
  readonly variables: Record<string, unknown>[];
  /** The main statement, for EXPLAIN. */
  readonly statement?: (db: Kysely<Database>) => Promise<unknown>;
}

const ARTICLE_PAGE = `query ($slug: String!) { article(slug: $slug) { slug headline standfirst publishedAt
  section { slug name } tags { slug name } leadImage { url alt width height } authors { slug name }
  quotes { text speakerName speaker { __typename ... on Person { slug name } ... on Organization { slug name } } }
  relatedLinks { title url target { slug headline } }
  body { __typename ... on ParagraphBlock { text } ... on HeadingBlock { text level } ... on QuoteBlock { quote { text } } } } }`;
const TEASERS = `nodes { slug headline standfirst publishedAt leadImage { url alt } authors { slug name } }
  pageInfo { hasNextPage endCursor }`;
const SEARCH = `query ($q: String!) { search(query: $q, first: 20) { edges { rank highlights { headline body }
  node { slug headline publishedAt } } } }`;

async function scenarios(): Promise<Scenario[]> {
  // Arguments: articles spread over the archive, the busiest section and tag, the median and the most quoted person.
  const articles = (
    await pool.query(`select slug from articles where status = 'published' and published_at <= now()
      and id % 9973 = 1 order by id limit 50`)
  ).rows.map((row) => ({ slug: row.slug as string }));
  const section = await one<{ slug: string; id: number }>(
    `select s.slug, s.id from sections s order by (select count(*) from articles a where a.section_id = s.id) desc limit 1`,
  );
  const tag = await one<{ slug: string }>(
    `select t.slug from tags t join article_tags l on l.tag_id = t.id group by t.id order by count(*) desc limit 1`,
  );
  const quoted = (
    await pool.query(`select p.slug, p.name, count(*)::int as quotes from quotes q join people p on p.id = q.speaker_person_id
      group by p.id order by count(*) desc`)
  ).rows as { slug: string; name: string; quotes: number }[];
  const top = quoted[0]!;
  const median = quoted[Math.floor(quoted.length / 2)]!;
  // Page 500 (20 per page) of the section: the cursor of its 10,000th article.
  const at = await one<{ listed_at: Date; id: number }>(
    `select listed_at, id from articles where section_id = $1 and status = 'published' and published_at <= now()
      order by listed_at desc, id desc
      offset (select least(9999, count(*) - 1) from articles where section_id = $1
        and status = 'published' and published_at <= now()) limit 1`,
    [section.id],
  );
  const cursor = encodeCursor('articles:newest', [at.listed_at.toISOString(), at.id]);
  const [first, last] = top.name.split(' ') as [string, string];
  const typo = `${first.slice(0, 2)}${first[3]}${first[2]}${first.slice(4)} ${last}`;
  const search = (name: string, q: string): Scenario => ({
    name,
    query: SEARCH,
    variables: [{ q }],
    statement: (db) =>
      searchArticles(db, anonymousViewer, {
        text: q,
        filter: {},
        order: 'relevance',
        limit: 20,
        asOf: new Date(),
        after: undefined,
      }),
  });
  const people = (name: string, q: string): Scenario => ({
    name,
    query: `query ($q: String!) { people(query: $q, first: 10) { nodes { slug name } } }`,
    variables: [{ q }],
    statement: (db) => listPeople(db, anonymousViewer, { query: q, limit: 10, after: undefined }),
  });
  const personPage = (name: string, slug: string): Scenario => ({
    name,
    query: `query ($slug: String!) { person(slug: $slug) { slug name quotes(first: 20) { nodes { text article { slug headline } } }
      mentionedIn(first: 10) { nodes { slug headline } } } }`,
    variables: [{ slug }],
    statement: async (db) => {
      const person = await one<{ id: number }>('select id from people where slug = $1', [slug]);
      return listQuotes(db, anonymousViewer, {
        filter: { speakerPersonId: person.id },
        limit: 20,
        after: undefined,
      });
    },
  });
  return [
    { name: 'article page', query: ARTICLE_PAGE, variables: articles },
    {
      name: 'section front',
      query: `query ($slug: String!) { section(slug: $slug) { slug articles(first: 20) { ${TEASERS} } } }`,
      variables: [{ slug: section.slug }],
    },
    {
      name: 'tag page',
      query: `query ($slug: String!) { tag(slug: $slug) { slug articles(first: 20) { ${TEASERS} } } }`,
      variables: [{ slug: tag.slug }],
    },
    personPage(`person page, median (${median.quotes} quotes)`, median.slug),
    personPage(`person page, most quoted (${top.quotes} quotes)`, top.slug),
    {
      name: 'section page 500 (cursor)',
      query: `query ($slug: String!, $after: String) { section(slug: $slug) { articles(first: 20, after: $after) { ${TEASERS} } } }`,
      variables: [{ slug: section.slug, after: cursor }],
    },
    {
      name: 'related stories',
      query: `query ($slug: String!) { article(slug: $slug) { relatedArticles(first: 5) { score reasons article { slug headline } } } }`,
      variables: articles,
      statement: async (db) => {
        const article = await one<{ id: number }>('select id from articles where slug = $1', [
          articles[0]!.slug,
        ]);
        return findRelatedArticles(db, anonymousViewer, [article.id], 5);
      },
    },
    people('people lookup, prefix', first.slice(0, 3)),
    people('people lookup, full name', top.name),
    people('people lookup, typo', typo),
    {
      name: 'quote search',
      query: `query ($q: String!) { quotes(filter: { query: $q }, first: 20) { edges { rank highlights { text } node { text } } } }`,
      variables: [{ q: 'budget' }],
      statement: (db) =>
        listQuotes(db, anonymousViewer, { filter: { text: 'budget' }, limit: 20, after: undefined }),
    },
    search('search, common word', 'budget'),
    search('search, popular person', top.name),
    search('search, phrase', '"budget cabinet"'),
    search('search, rare word', 'zeppelin'),
    search('search, misspelling', 'budgte'),
    search('search, exclusion', `budget -${last}`),
  ];
}

async function request(
  scenario: Scenario,
  index: number,
): Promise<{ ms: number; status: number; errors: boolean }> {
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${PORT}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: scenario.query,
      variables: scenario.variables[index % scenario.variables.length],
    }),
  });
  const body = (await response.json()) as { errors?: unknown[] };
  return { ms: performance.now() - started, status: response.status, errors: Boolean(body.errors?.length) };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

function startByline(): Promise<ChildProcess> {
  const child = spawn('node_modules/.bin/node', ['bin/byline.mjs', 'serve'], {
    env: {
      ...process.env,
      DATABASE_URL: url,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      BYLINE_RESPONSE_CACHE: 'false',
      BYLINE_RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 120_000;
    const poll = async () => {
      try {
        if ((await fetch(`http://127.0.0.1:${PORT}/readyz`)).ok) return resolve(child);
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) return reject(new Error('byline serve did not become ready in 120 s'));
      setTimeout(poll, 200);
    };
    void poll();
  });
}

async function stopByline(child: ChildProcess) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function throughput(scenario: Scenario, concurrency: number, seconds: number) {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = worker; performance.now() < until; i += concurrency) {
        const result = await request(scenario, i);
        if (result.status === 200 && !result.errors) done += 1;
        else failed += 1;
      }
    }),
  );
  return { rps: done / seconds, failed };
}

async function explain(scenario: Scenario): Promise<string> {
  const captured: CompiledQuery[] = [];
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
    log: (event) => {
      if (event.level === 'query') captured.push(event.query);
    },
  });
  try {
    await scenario.statement!(db);
    const main = captured.at(-1)!;
    const { rows } = await pool.query(`explain (analyze, buffers) ${main.sql}`, [...main.parameters]);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await db.destroy();
  }
}

async function main() {
  const list = await scenarios();
  const size = await one<{ size: string; comment: string | null }>(
    `select pg_size_pretty(pg_database_size(current_database())) as size,
       shobj_description((select oid from pg_database where datname = current_database()), 'pg_database') as comment`,
  );
  const lines: string[] = [
    `# bench:scale — ${size.comment ?? 'unknown data set'} — ${new Date().toISOString()}`,
    '',
    `Database size: ${size.size}. Load average at start: ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}.`,
    '',
  ];
  // Cold: Byline just started, the first request of each kind.
  let byline = await startByline();
  const cold: string[] = [];
  for (const scenario of list) {
    const result = await request(scenario, 0);
    cold.push(
      `| ${scenario.name} | ${result.ms.toFixed(0)} | ${result.status}${result.errors ? ' (errors)' : ''} |`,
    );
  }
  // Warm, in sequence.
  const rows: { name: string; p50: number; p99: number; failures: number }[] = [];
  for (const scenario of list) await request(scenario, 0);
  for (const scenario of list) {
    const times: number[] = [];
    let failures = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const result = await request(scenario, i);
      times.push(result.ms);
      if (result.status !== 200 || result.errors) failures += 1;
    }
    times.sort((a, b) => a - b);
    rows.push({ name: scenario.name, p50: percentile(times, 50), p99: percentile(times, 99), failures });
    console.error(
      `${scenario.name}: p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms`,
    );
  }
  lines.push(
    `## Single requests in sequence (${REQUESTS} each, uncached, warm)`,
    '',
    '| scenario | p50 ms | p99 ms | failed |',
    '|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.failures} |`),
    '',
  );
  const concurrency = Number(values.concurrency);
  const seconds = Number(values.duration);
  const byName = (name: string) => list.find((s) => s.name === name)!;
  const article = await throughput(byName('article page'), concurrency, seconds);
  const tp: string[] = [`| article page | ${article.rps.toFixed(1)} | 1.00 | ${article.failed} |`];
  for (const name of ['search, common word', 'search, popular person', 'quote search']) {
    const result = await throughput(byName(name), concurrency, seconds);
    tp.push(
      `| ${name} | ${result.rps.toFixed(1)} | ${(result.rps / article.rps).toFixed(2)} | ${result.failed} |`,
    );
  }
  lines.push(
    `## Throughput at c=${concurrency} (${seconds} s each, uncached)`,
    '',
    '| scenario | req/s | × article page | failed |',
    '|---|---:|---:|---:|',
    ...tp,
    '',
    '## Cold: first request after starting Byline (Postgres not restarted)',
    '',
    '| scenario | ms | status |',
    '|---|---:|---|',
    ...cold,
    '',
  );
  await stopByline(byline);
  byline = undefined as never;
  const slowest = rows
    .filter((r) => byName(r.name).statement)
    .sort((a, b) => b.p99 - a.p99)
    .slice(0, 3);
  lines.push('## EXPLAIN (ANALYZE, BUFFERS) of the slowest three', '');
  for (const r of slowest) {
    lines.push(`### ${r.name}`, '', '```', await explain(byName(r.name)), '```', '');
  }
  const report = lines.join('\n');
  console.log(report);
  await mkdir('bench/results', { recursive: true });
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', 'T');
  await writeFile(`bench/results/${stamp}-${values.label}.md`, report);
  await writeFile(
    `bench/results/${stamp}-${values.label}.json`,
    JSON.stringify({ rows, size: size.size }, null, 2),
  );
  await pool.end();
}

main().catch((error: unknown) => {
  console.error(`bench:scale failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
});
