/**
 * The bulk path of `npm run bench:data`: the rows `ingestArticle` would write for the same documents,
 * in the same order and with the same ids, written a batch of articles per statement per table.
 *
 * Rows come from ingest's own code (`planArticle` and the repository's `*Values` builders); what ingest
 * leaves to the database, bulk reproduces:
 * - ids: ingest's `insert … on conflict` draws an identity value for every row it proposes, even one
 *   that already exists (a tag named by a second article burns a number), so ids have gaps. Bulk counts
 *   the same draws per table, inserts with `overriding system value` and leaves each sequence where
 *   ingest would;
 * - `related_links.target_article_id`: the id of the article with `target_slug`, resolved in SQL at
 *   insert and, for targets loaded later, once at the end, as ingest's `attachLinksTargeting` does;
 * - link tables' `listed_at`: the triggers of migration 202611270002 stay on and copy it;
 * - `article_search`: the same `byline_article_search_vector` ingest calls, once the batch is stored;
 * - timestamps that ingest takes from the clock (`created_at`, `updated_at` of terms, a draft's
 *   `updated_at`) come from the clock here too.
 * Ingest updates a term whose name changes between documents; bulk refuses such input instead, since it
 * writes each term once and search documents already written would name it differently.
 * Secondary (non-unique) indexes are dropped and rebuilt from their own definitions around the load.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import type { ArticleDocument } from '../../src/ingest/article-document.ts';
import { sequenceName, writeRows, writeSearch } from '../../src/ingest/bulk-ingest.ts';
import { appendCreatedInBulk } from '../../src/modules/changes/index.ts';
import {
  BulkRowBuilder,
  CONTENT_TABLES,
  IDENTITY_TABLES,
  IdentityCounter,
  type Batch,
  type ContentTable,
  type IdentityTable,
} from '../../src/ingest/bulk-rows.ts';

/** Thrown when the database already holds content: this path builds a data set, it does not update one. */
export class NotEmptyError extends Error {
  override name = 'NotEmptyError';
}

export interface BulkLoadOptions {
  /** Articles per batch: one statement per table per batch. */
  readonly batchSize?: number;
  /** Called after each batch is written, with the number of articles in it. */
  readonly onBatch?: (articles: number) => void;
}

type Db = Kysely<Database> | Transaction<Database>;

async function countContent(db: Db): Promise<Map<ContentTable, number>> {
  const counts = new Map<ContentTable, number>();
  for (const table of CONTENT_TABLES) {
    const { rows } = await sql<{
      rows: number;
    }>`select count(*)::int as rows from ${sql.table(table)}`.execute(db);
    counts.set(table, rows[0]!.rows);
  }
  return counts;
}

/** Where each identity sequence stands: the value its next draw returns. */
async function sequenceStarts(db: Db): Promise<Record<IdentityTable, number>> {
  const starts = {} as Record<IdentityTable, number>;
  for (const table of IDENTITY_TABLES) {
    const { rows } = await sql<{ next: number }>`
      select case when is_called then last_value + 1 else last_value end::int as next
      from ${sql.raw(await sequenceName(db, table))}`.execute(db);
    starts[table] = rows[0]!.next;
  }
  return starts;
}

function* chunks<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let chunk: T[] = [];
  for (const item of items) {
    chunk.push(item);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

interface DroppedIndex {
  readonly name: string;
  readonly definition: string;
}

/** Drops the non-unique indexes of the content tables; returns their definitions to rebuild them. */
async function dropSecondaryIndexes(db: Db): Promise<DroppedIndex[]> {
  const { rows } = await sql<DroppedIndex>`
    select c.relname as name, pg_get_indexdef(i.indexrelid) as definition
    from pg_index i
    join pg_class c on c.oid = i.indexrelid
    join pg_class t on t.oid = i.indrelid
    join pg_namespace n on n.oid = t.relnamespace
    where n.nspname = 'public' and t.relname in (${sql.join([...CONTENT_TABLES])})
      and not i.indisunique and not i.indisprimary
    order by c.relname`.execute(db);
  for (const index of rows) await sql`drop index ${sql.id(index.name)}`.execute(db);
  return rows;
}

/**
 * Writes `documents` (validated, in ingest order) into an empty database in one transaction: the
 * whole data set or nothing. Throws NotEmptyError when any content table holds rows.
 */
export async function bulkLoadArticles(
  db: Kysely<Database>,
  documents: Iterable<ArticleDocument>,
  options: BulkLoadOptions = {},
): Promise<void> {
  const batchSize = options.batchSize ?? 2000;
  await db.transaction().execute(async (trx) => {
    const held = [...(await countContent(trx))].filter(([, rows]) => rows > 0);
    if (held.length > 0) {
      const articles = held.find(([table]) => table === 'articles');
      throw new NotEmptyError(
        `the bulk path builds a data set, it does not update one: expected an empty database or --fresh, ` +
          `got ${(articles ? [articles] : held).map(([table, rows]) => `${rows} ${table}`).join(', ')}`,
      );
    }
    const starts = await sequenceStarts(trx);
    const counters = Object.fromEntries(
      IDENTITY_TABLES.map((table) => [table, new IdentityCounter(starts[table])]),
    ) as Record<IdentityTable, IdentityCounter>;
    const builder = new BulkRowBuilder(counters);
    const dropped = await dropSecondaryIndexes(trx);

    // A batch's search documents (the longest statement) run while the next batch is generated and
    // built: Postgres and Node each keep a core busy.
    let searching: { batch: Batch; done: Promise<void> } | undefined;
    const finishSearch = async () => {
      if (!searching) return;
      await searching.done;
      options.onBatch?.(searching.batch.articleIds.length);
      searching = undefined;
    };
    let batches = 0;
    let nextAnalyze = 1;
    for (const chunk of chunks(documents, batchSize)) {
      const batch = builder.build(chunk);
      await finishSearch();
      await writeRows(trx, batch);
      // The change log gets each article's `created` event, one statement per batch, as bulk ingest's.
      await appendCreatedInBulk(trx, batch.articleIds);
      if (++batches === nextAnalyze) {
        // The tables never had statistics: without them the search documents' joins plan as hash
        // joins over whole tables, each batch slower than the last. ANALYZE counts this transaction's
        // own rows; doubling keeps the estimates in step with the growth at a few runs in all.
        await sql`analyze ${sql.join(CONTENT_TABLES.map((table) => sql.table(table)))}`.execute(trx);
        nextAnalyze *= 2;
      }
      const done = writeSearch(trx, batch);
      // Handled when awaited; this keeps a failure meanwhile from counting as unhandled.
      done.catch(() => undefined);
      searching = { batch, done };
      // Lets Kysely hand the statement to the socket before the synchronous work of the next batch.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await finishSearch();

    // Links loaded before their target, as ingest's attachLinksTargeting leaves them.
    await sql`update related_links l set target_article_id = a.id
      from articles a
      where a.slug = l.target_slug and l.target_article_id is distinct from a.id`.execute(trx);
    await sql`set local maintenance_work_mem = '256MB'`.execute(trx);
    for (const index of dropped) await sql.raw(index.definition).execute(trx);
    for (const table of IDENTITY_TABLES) {
      const last = counters[table].lastValue(starts[table]);
      if (last !== null) {
        await sql`select setval(${await sequenceName(trx, table)}, ${last}, true)`.execute(trx);
      }
    }
  });
}
