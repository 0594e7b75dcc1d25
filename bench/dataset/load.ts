/**
 * `npm run bench:data -- --articles N [--seed S] [--database-url URL] [--method bulk|ingest] [--concurrency C] [--fresh]`
 *
 * Builds the benchmark data set in a real Postgres. Two methods write the same rows (proven by
 * tests/bench-data-bulk.test.ts):
 * - `bulk` (default): the documents become ingest's rows through ingest's own row-building code,
 *   written a batch of articles per statement per table: into an empty database in one transaction
 *   with the secondary indexes rebuilt once at the end (bulk-load-articles.ts); into a database with
 *   content, a transaction per batch that skips what is stored (src/ingest/bulk-ingest.ts);
 * - `ingest`: each document through `ingestArticle`, one transaction each. Idempotent: re-running with
 *   the same seed changes nothing. `--concurrency` above 1 contends on the hot (Zipf) tag and people rows
 *   that every ingest upserts and locks, and deadlocks are retried: on a 2-core box 1 was fastest.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { sql } from 'kysely';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { validateArticleDocument } from '../../src/ingest/article-document.ts';
import type { ArticleDocument } from '../../src/ingest/article-document.ts';
import { ingestArticle } from '../../src/ingest/ingest-article.ts';
import { bulkIngestArticles } from '../../src/ingest/bulk-ingest.ts';
import type { Database } from '../../src/db/database.ts';
import type { Kysely } from 'kysely';
import { bulkLoadArticles } from './bulk-load-articles.ts';
import { createSamplers, datasetShape, generateArticle, generateCatalog } from './generate.ts';
import { createProgressBar, type ProgressStream } from '../../src/cli/progress-bar.ts';

export const DEFAULT_BENCH_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/byline_bench';

/** The database URL the bench tools use: flag, then DATABASE_URL, then the local default. */
export function benchDatabaseUrl(flag: string | undefined): string {
  return flag || process.env['DATABASE_URL'] || DEFAULT_BENCH_DATABASE_URL;
}

/** Creates the database named in `url` when it does not exist (optionally dropping it first). */
export async function ensureDatabase(url: string, fresh: boolean): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(
      `expected a database name of letters, digits and underscores in ${target.pathname}, got "${name}"`,
    );
  }
  const adminUrl = new URL(url);
  adminUrl.pathname = '/postgres';
  const client = new pg.Client({ connectionString: adminUrl.href, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    if (fresh) await client.query(`drop database if exists ${name} with (force)`);
    const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
}

const RETRYABLE = new Set(['40P01', '40001']); // deadlock, serialization failure: concurrent upserts of shared rows

export type LoadMethod = 'bulk' | 'ingest';
export const LOAD_METHODS: readonly LoadMethod[] = ['bulk', 'ingest'];

export interface LoadDatasetOptions {
  readonly articles: number;
  readonly seed: number;
  readonly databaseUrl: string;
  readonly method?: LoadMethod;
  /** Articles ingested at once (ingest only). */
  readonly concurrency?: number;
  /** Drop and recreate the database first. */
  readonly fresh?: boolean;
  /** Articles per batch (bulk only). */
  readonly batchSize?: number;
  /** Where the progress bar is drawn (only on a TTY). */
  readonly progress?: ProgressStream;
  /**
   * Documents `from` … `articles − 1` only, of the data set shaped (catalog, popularity) for `shape`
   * articles: `--shape 1000000 --from 1000000 --articles 1100000` continues a 1M data set with 100k
   * more (published after it, so partly embargoed), an archive import into a live database.
   */
  readonly from?: number;
  readonly shape?: number;
}

export interface LoadDatasetResult {
  readonly seconds: number;
  readonly outcomes: { created: number; updated: number; unchanged: number };
  readonly counts: readonly { readonly table: string; readonly rows: number }[];
}

/** Generated article `index`, validated as ingest validates a file: invalid generated data fails loudly. */
function* validDocuments(
  articles: number,
  seed: number,
  from = 0,
  shapeOf = articles,
): Generator<ArticleDocument> {
  const shape = datasetShape(shapeOf);
  const catalog = generateCatalog(shape, seed);
  const samplers = createSamplers(shape);
  // Oldest first, so related links mostly find their (earlier) targets already stored.
  for (let index = from; index < articles; index++) {
    const validation = validateArticleDocument(generateArticle(shape, catalog, samplers, seed, index));
    if (!validation.ok) {
      throw new Error(
        `generated article ${index} is invalid: ${validation.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      );
    }
    yield validation.document;
  }
}

/** Whether the database holds no article yet: the fast path (indexes rebuilt once) is for that case. */
async function isEmpty(db: Kysely<Database>): Promise<boolean> {
  const { rows } = await sql<{ any: boolean }>`select exists (select 1 from articles) as any`.execute(db);
  return !rows[0]!.any;
}

/** Builds the data set; resolves with what it wrote. The CLI's work, callable from tests. */
export async function loadDataset(options: LoadDatasetOptions): Promise<LoadDatasetResult> {
  const { articles, seed, databaseUrl: url, method = 'bulk', concurrency = 1 } = options;
  const from = options.from ?? 0;
  const shape = options.shape ?? articles;
  await ensureDatabase(url, options.fresh ?? false);
  const database = await openDatabase({
    databaseUrl: url,
    poolSize: concurrency,
    // The bulk load is one transaction of long statements (index builds, a batch's search documents).
    statementTimeoutMs: method === 'bulk' ? 0 : 120_000,
    idleInTransactionTimeoutMs: 120_000,
  });
  const started = performance.now();
  try {
    await migrateToLatest(database.db);
    const progress = createProgressBar(options.progress ?? process.stderr, articles - from, {
      label: 'bench:data',
      unit: 'articles',
    });
    const outcomes = { created: 0, updated: 0, unchanged: 0 };
    if (method === 'bulk' && (await isEmpty(database.db))) {
      await bulkLoadArticles(database.db, validDocuments(articles, seed, from, shape), {
        ...(options.batchSize ? { batchSize: options.batchSize } : {}),
        onBatch: (count) => {
          outcomes.created += count;
          progress.tick(count);
        },
      });
    } else if (method === 'bulk') {
      // A database with content, perhaps serving: batches of their own, as `byline ingest --bulk`.
      const result = await bulkIngestArticles(database.db, validDocuments(articles, seed, from, shape), {
        ...(options.batchSize ? { batchSize: options.batchSize } : {}),
        onBatch: (_, count) => progress.tick(count),
      });
      if (result.failed > 0)
        throw new Error(`bulk ingest refused ${result.failed}: ${result.problems.join('; ')}`);
      outcomes.created += result.created;
      outcomes.updated += result.updated;
      outcomes.unchanged += result.unchanged;
    } else {
      const documents = validDocuments(articles, seed, from, shape);
      const worker = async () => {
        for (let next = documents.next(); !next.done; next = documents.next()) {
          for (let attempt = 1; ; attempt++) {
            try {
              const { outcome } = await ingestArticle(database.db, next.value);
              outcomes[outcome] += 1;
              break;
            } catch (error) {
              const code = (error as { code?: string }).code;
              if (!code || !RETRYABLE.has(code) || attempt >= 10) throw error;
            }
          }
          progress.tick();
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    }
    progress.finish();
    await sql`analyze`.execute(database.db);
    // Recorded on the database so `npm run bench` can say which data set it measured.
    const name = new URL(url).pathname.slice(1);
    if (from === 0)
      await sql
        .raw(`comment on database ${name} is 'bench:data --articles ${articles} --seed ${seed}'`)
        .execute(database.db);
    const counts = await sql<{ table: string; rows: number }>`
      select 'articles' as table, count(*)::int as rows from articles
      union all select 'sections', count(*)::int from sections
      union all select 'tags', count(*)::int from tags
      union all select 'people', count(*)::int from people
      union all select 'organizations', count(*)::int from organizations
      union all select 'images', count(*)::int from images
      union all select 'quotes', count(*)::int from quotes
      union all select 'related_links', count(*)::int from related_links
      union all select 'article_tags', count(*)::int from article_tags
      union all select 'article_authors', count(*)::int from article_authors
      union all select 'article_mentions', count(*)::int from article_mentions
      union all select 'article_organizations', count(*)::int from article_organizations
      union all select 'article_search', count(*)::int from article_search`.execute(database.db);
    return { seconds: (performance.now() - started) / 1000, outcomes, counts: counts.rows };
  } finally {
    await database.close();
  }
}

/** `byline bench:data` / `npm run bench:data`: resolves with the exit code. */
export async function main(args: string[] = process.argv.slice(2)): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      articles: { type: 'string' },
      seed: { type: 'string', default: '42' },
      'database-url': { type: 'string' },
      method: { type: 'string', default: 'bulk' },
      concurrency: { type: 'string', default: '1' },
      fresh: { type: 'boolean', default: false },
      from: { type: 'string', default: '0' },
      shape: { type: 'string' },
    },
    strict: true,
  });
  const articles = Number(values.articles);
  const seed = Number(values.seed);
  const concurrency = Number(values.concurrency);
  const method = values.method as LoadMethod;
  if (!Number.isInteger(articles) || articles < 1) {
    console.error(
      `bench:data: expected --articles <positive integer>, got ${JSON.stringify(values.articles ?? null)}`,
    );
    return 2;
  }
  if (!Number.isInteger(seed)) {
    console.error(`bench:data: expected --seed <integer>, got ${JSON.stringify(values.seed)}`);
    return 2;
  }
  if (!LOAD_METHODS.includes(method)) {
    console.error(`bench:data: expected --method bulk or ingest, got ${JSON.stringify(values.method)}`);
    return 2;
  }
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
    console.error(
      `bench:data: expected --concurrency from 1 to 32, got ${JSON.stringify(values.concurrency)}`,
    );
    return 2;
  }
  if (method === 'bulk' && concurrency !== 1) {
    console.error(`bench:data: expected --concurrency only with --method ingest, got --method bulk`);
    return 2;
  }
  const url = benchDatabaseUrl(values['database-url']);
  const { seconds, outcomes, counts } = await loadDataset({
    articles,
    seed,
    databaseUrl: url,
    method,
    concurrency,
    fresh: values.fresh,
    from: Number(values.from),
    shape: values.shape === undefined ? articles : Number(values.shape),
  });
  console.log(
    `bench:data: ${articles - Number(values.from)} articles (seed ${seed}, ${method}) in ${seconds.toFixed(1)} s ` +
      `(${((articles - Number(values.from)) / seconds).toFixed(0)} articles/s): ` +
      `${outcomes.created} created, ${outcomes.updated} updated, ${outcomes.unchanged} unchanged`,
  );
  console.log(
    `database ${new URL(url).pathname.slice(1)}: ${counts.map((r) => `${r.table} ${r.rows}`).join(', ')}`,
  );
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(`bench:data failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
