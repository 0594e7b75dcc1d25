/**
 * `npx tsx bench/changes/append-rate.ts [--database-url URL] [--articles 20000] [--batch 1000]`
 *
 * Change events appended per second during a bulk ingest (`byline ingest --bulk`'s batches): ingests
 * `--articles` generated documents into a fresh database through `bulkIngestArticles`, every batch
 * appending its `created` events in one statement, and prints the events appended per second of the
 * whole ingest. Then times the append alone (the same statement for batches of ids already stored,
 * each in a transaction rolled back) to show what the log costs a batch.
 */
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/open-database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { bulkIngestArticles } from '../../src/ingest/bulk-ingest.ts';
import { validateArticleDocument, type ArticleDocument } from '../../src/ingest/article-document.ts';
import { appendCreatedInBulk } from '../../src/modules/changes/index.ts';
import { createSamplers, datasetShape, generateArticle, generateCatalog } from '../dataset/generate.ts';
import { ensureDatabase } from '../dataset/load.ts';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/byline_bench_changes' },
    articles: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '1000' },
  },
});
const url = values['database-url'];
const articles = Number(values.articles);
const batchSize = Number(values.batch);

function* documents(): Generator<ArticleDocument> {
  const shape = datasetShape(articles);
  const catalog = generateCatalog(shape, 1);
  const samplers = createSamplers(shape);
  for (let index = 0; index < articles; index++) {
    const validation = validateArticleDocument(generateArticle(shape, catalog, samplers, 1, index));
    if (!validation.ok) throw new Error(`generated article ${index} is invalid`);
    yield validation.document;
  }
}

class Rollback extends Error {}

async function main() {
  await ensureDatabase(url, true);
  const database = await openDatabase({ databaseUrl: url, statementTimeoutMs: 0 });
  const { db } = database;
  try {
    await migrateToLatest(db);
    const head = async () =>
      (await sql<{ last: number }>`select last_position as last from article_change_log`.execute(db)).rows[0]!
        .last;
    const before = await head();
    const started = performance.now();
    const result = await bulkIngestArticles(db, documents(), { batchSize });
    const seconds = (performance.now() - started) / 1000;
    const events = (await head()) - before;
    console.log(
      `bulk ingest: ${result.created} articles in ${seconds.toFixed(1)} s, ${events} change events appended: ` +
        `${Math.round(events / seconds)} events/s (batches of ${batchSize})`,
    );

    // The append alone, for batches of stored ids (rolled back, so the log is left as it was).
    const { rows } = await sql<{ id: number }>`select id from articles order by id`.execute(db);
    const ids = rows.map((row) => row.id);
    let appendMs = 0;
    for (let from = 0; from < ids.length; from += batchSize) {
      const batch = ids.slice(from, from + batchSize);
      await db
        .transaction()
        .execute(async (trx) => {
          const t0 = performance.now();
          await appendCreatedInBulk(trx, batch);
          appendMs += performance.now() - t0;
          throw new Rollback();
        })
        .catch((error: unknown) => {
          if (!(error instanceof Rollback)) throw error;
        });
    }
    console.log(
      `append alone: ${ids.length} events in ${(appendMs / 1000).toFixed(2)} s: ` +
        `${Math.round(ids.length / (appendMs / 1000))} events/s, ` +
        `${((appendMs / 1000 / seconds) * 100).toFixed(1)} % of the ingest's time`,
    );
  } finally {
    await database.close();
  }
}

await main();
