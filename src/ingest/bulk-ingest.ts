/**
 * `byline ingest --bulk`: many documents into a database that already holds content and serves
 * traffic, a batch of articles per transaction and per statement per table. The rows are the ones
 * `ingestArticle` writes for the same documents (src/ingest/bulk-rows.ts); per batch:
 * - documents already stored unchanged (same slug and content hash) are skipped: a re-run after a
 *   kill skips what landed;
 * - documents that would change something stored (an article of that slug, a term or image named
 *   differently, a URL another article owns) go through `ingestArticle` after the batch commits,
 *   one by one, with its checks, errors and precise cache announcements;
 * - the rest are written in bulk with ids reserved from the tables' own sequences, link targets
 *   resolved against everything committed before (earlier batches included), links elsewhere that
 *   name one of them attached, and their search documents computed by the same SQL function.
 * Each batch appends a `created` event per article to the change log, in one statement.
 * A bulk batch does not announce its cache tags (a thousand articles' tags do not fit a
 * notification): the content tables' statement triggers announce "everything changed" on its commit.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import { appendCreatedInBulk } from '../modules/changes/index.ts';
import type { ArticleDocument } from './article-document.ts';
import {
  BulkRowBuilder,
  countDraws,
  IDENTITY_TABLES,
  IdentityCounter,
  proposedTerms,
  TERM_TABLES,
  termKey,
  type Batch,
  type IdentityTable,
  type Row,
  type RowTable,
  type TermTable,
} from './bulk-rows.ts';
import { contentHash, ingestArticle, type IngestOutcome } from './ingest-article.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Inserts rows whose keys are columns of `table`; returns how many were inserted. */
export async function insertRows(
  db: Db,
  table: RowTable,
  rows: readonly Row[],
  { skipConflicts = false } = {},
): Promise<number> {
  if (rows.length === 0) return 0;
  const columns = Object.keys(rows[0]!);
  const result = await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})
    overriding system value
    select ${sql.join(columns.map((c) => sql.ref(`r.${c}`)))}
    from json_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::json) as r
    ${skipConflicts ? sql`on conflict do nothing` : sql``}`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** Thrown inside a batch when another writer stored one of its rows first: the batch is redone. */
class RaceError extends Error {
  override name = 'RaceError';
}

/** Writes a batch's rows; with `live`, a row another writer stored meanwhile aborts the batch. */
export async function writeRows(db: Db, { rows }: Batch, live = false): Promise<void> {
  for (const table of ['sections', 'tags', 'organizations', 'people', 'images', 'articles'] as const) {
    const inserted = await insertRows(db, table, rows[table], { skipConflicts: live });
    if (inserted !== rows[table].length) {
      throw new RaceError(
        `${table}: ${rows[table].length - inserted} rows were stored by another writer meanwhile`,
      );
    }
  }
  for (const table of [
    'article_tags',
    'article_authors',
    'article_mentions',
    'article_organizations',
  ] as const) {
    await insertRows(db, table, rows[table]);
  }
  await insertRows(db, 'quotes', rows.quotes);
  if (rows.related_links.length > 0) {
    // As ingest's insert: the target is the article with that slug if it is stored by now.
    await sql`insert into related_links
        (id, article_id, position, title, url, label, image_id, target_slug, target_article_id)
      overriding system value
      select r.id, r.article_id, r.position, r.title, r.url, r.label, r.image_id, r.target_slug, a.id
      from json_populate_recordset(null::related_links, ${JSON.stringify(rows.related_links)}::json) as r
      left join articles a on a.slug = r.target_slug`.execute(db);
  }
}

/** Ingest's own search documents, computed from what is stored now, as ingest does last. */
export async function writeSearch(db: Db, { articleIds }: Batch): Promise<void> {
  await sql`insert into article_search (article_id, document)
    select id, byline_article_search_vector(id) from unnest(${articleIds}::int[]) as id`.execute(db);
}

export async function sequenceName(db: Db, table: IdentityTable): Promise<string> {
  const { rows } = await sql<{ name: string }>`select pg_get_serial_sequence(${table}, 'id') as name`.execute(
    db,
  );
  return rows[0]!.name;
}

/** `count` values of the table's identity sequence, in the order drawn. */
async function reserveIds(db: Db, table: IdentityTable, count: number): Promise<number[]> {
  if (count === 0) return [];
  const { rows } = await sql<{ id: number }>`
    select nextval(${await sequenceName(db, table)})::int as id from generate_series(1, ${count})`.execute(
    db,
  );
  return rows.map((row) => row.id).sort((a, b) => a - b);
}

const TERM_COLUMNS: Record<TermTable, string> = {
  sections: 'id, slug, name, description',
  tags: 'id, slug, name, description',
  organizations: 'id, slug, name, description',
  people: 'id, slug, name, description, honorific, aliases',
  images: 'id, url, width, height, caption, credit, alt',
};

/** The stored rows of `table` with these natural keys, as `{ id, …values in ingest's key order }`. */
async function storedTerms(db: Db, table: TermTable, keys: readonly string[]): Promise<Row[]> {
  if (keys.length === 0) return [];
  const key = termKey(table);
  const { rows } = await sql<Row>`select ${sql.raw(TERM_COLUMNS[table])} from ${sql.table(table)}
    where ${sql.ref(key)} = any(${[...keys]}::text[])`.execute(db);
  return rows;
}

export interface BulkIngestResult {
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  /** Documents that went through one-by-one ingest (changed, or naming something differently). */
  oneByOne: number;
  /** `slug: message` of each document ingest refused. */
  readonly problems: string[];
}

export interface BulkIngestOptions {
  /** Articles per batch (one transaction each). */
  readonly batchSize?: number;
  /** Called after each batch with the counts so far and the documents the batch held. */
  readonly onBatch?: (result: BulkIngestResult, documents: number) => void;
  /** Once aborted, no further batch starts; the one being written commits or rolls back whole. */
  readonly stop?: AbortSignal;
}

interface Sorted {
  /** Written in bulk. */
  readonly fresh: ArticleDocument[];
  /** Through ingestArticle, after the batch commits. */
  readonly oneByOne: ArticleDocument[];
  unchanged: number;
}

/** Splits a batch by what is stored now (inside the batch's transaction). */
async function sortBatch(
  db: Db,
  documents: readonly ArticleDocument[],
  builder: BulkRowBuilder,
): Promise<Sorted> {
  const slugs = documents.map((document) => document.slug);
  const urls = documents.flatMap((document) => (document.url ? [document.url] : []));
  const sourceIds = documents.flatMap((document) => (document.sourceId ? [document.sourceId] : []));
  const { rows: stored } = await sql<{ slug: string; url: string | null; content_hash: string }>`
    select slug, url, content_hash from articles
    where slug = any(${slugs}::text[]) or url = any(${urls}::text[])`.execute(db);
  // A stored source id or an old slug kept as a redirect is an identity question ingest answers.
  const { rows: identities } = await sql<{ key: string }>`
    select 'source:' || source_id as key from articles where source_id = any(${sourceIds}::text[])
    union all
    select 'slug:' || slug from article_slug_redirects where slug = any(${slugs}::text[])`.execute(db);
  const knownIdentity = new Set(identities.map((row) => row.key));
  const hashBySlug = new Map(stored.map((row) => [row.slug, row.content_hash]));
  const ownerOfUrl = new Map(stored.flatMap((row) => (row.url ? [[row.url, row.slug] as const] : [])));
  // Terms and images this batch names that are stored already: reused by id, and compared.
  const proposed = documents.map(proposedTerms);
  for (const table of TERM_TABLES) {
    const key = termKey(table);
    const keys = [...new Set(proposed.flatMap((terms) => terms[table].map((row) => row[key] as string)))];
    for (const { id, ...values } of await storedTerms(db, table, keys)) {
      builder.terms[table].known(values[key] as string, id as number, values);
    }
  }
  const sorted: Sorted = { fresh: [], oneByOne: [], unchanged: 0 };
  const seen = new Set<string>();
  const claimedUrls = new Set<string>();
  documents.forEach((document, index) => {
    const storedHash = hashBySlug.get(document.slug);
    if (storedHash !== undefined && !seen.has(document.slug) && storedHash === contentHash(document)) {
      sorted.unchanged += 1;
      return;
    }
    const url = document.url ?? null;
    const conflicts =
      storedHash !== undefined ||
      knownIdentity.has(`slug:${document.slug}`) ||
      (Boolean(document.sourceId) &&
        (knownIdentity.has(`source:${document.sourceId}`) ||
          knownIdentity.has(`batch:${document.sourceId}`))) ||
      seen.has(document.slug) ||
      (url !== null && (ownerOfUrl.has(url) || claimedUrls.has(url))) ||
      TERM_TABLES.some((table) =>
        proposed[index]![table].some((row) => builder.terms[table].differs(row, termKey(table))),
      );
    seen.add(document.slug);
    if (document.sourceId) knownIdentity.add(`batch:${document.sourceId}`);
    if (conflicts) {
      sorted.oneByOne.push(document);
      return;
    }
    if (url !== null) claimedUrls.add(url);
    sorted.fresh.push(document);
    // Later documents of the batch must name these terms the same way to stay in bulk.
    for (const table of TERM_TABLES) {
      for (const row of proposed[index]![table]) {
        const natural = row[termKey(table)] as string;
        if (!builder.terms[table].ids.has(natural)) builder.terms[table].known(natural, -1, row);
      }
    }
  });
  return sorted;
}

/** Writes one batch in one transaction; returns what it left for one-by-one ingest. */
async function writeBatch(db: Kysely<Database>, documents: readonly ArticleDocument[]): Promise<Sorted> {
  return db.transaction().execute(async (trx) => {
    // A first pass decides what is bulk; the builder that writes starts clean with reserved ids.
    const probe = new BulkRowBuilder(
      Object.fromEntries(IDENTITY_TABLES.map((t) => [t, new IdentityCounter(1)])) as Record<
        IdentityTable,
        IdentityCounter
      >,
    );
    const sorted = await sortBatch(trx, documents, probe);
    if (sorted.fresh.length === 0) return sorted;
    const draws = countDraws(sorted.fresh);
    const counters = {} as Record<IdentityTable, IdentityCounter>;
    for (const table of IDENTITY_TABLES) {
      counters[table] = new IdentityCounter(0, await reserveIds(trx, table, draws[table]));
    }
    const builder = new BulkRowBuilder(counters);
    for (const table of TERM_TABLES) {
      for (const { id, ...values } of await storedTerms(
        trx,
        table,
        [...probe.terms[table].ids].filter(([, id]) => id !== -1).map(([key]) => key),
      )) {
        builder.terms[table].known(values[termKey(table)] as string, id as number, values);
      }
    }
    const batch = builder.build(sorted.fresh);
    await writeRows(trx, batch, true);
    // Links stored earlier (other batches, other content) that name one of these articles, as
    // ingest's attachLinksTargeting does for each.
    await sql`update related_links l set target_article_id = a.id
      from articles a
      where a.slug = any(${batch.slugs}::text[]) and l.target_slug = a.slug
        and l.target_article_id is distinct from a.id`.execute(trx);
    await writeSearch(trx, batch);
    // One `created` event per article, in one statement, last: the log's lock is held only to commit.
    await appendCreatedInBulk(trx, batch.articleIds);
    return sorted;
  });
}

async function* chunks<T>(items: Iterable<T> | AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let chunk: T[] = [];
  for await (const item of items) {
    chunk.push(item);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

const RETRYABLE = new Set(['40P01', '40001', '23505']); // deadlock, serialization, a unique row another writer stored

/**
 * Writes validated documents in batches of `batchSize`, each batch its own transaction; documents
 * are taken in order, so a link to an earlier document resolves whatever batch it was in.
 */
export async function bulkIngestArticles(
  db: Kysely<Database>,
  documents: Iterable<ArticleDocument> | AsyncIterable<ArticleDocument>,
  options: BulkIngestOptions = {},
): Promise<BulkIngestResult> {
  const batchSize = options.batchSize ?? 1000;
  const result: BulkIngestResult = {
    created: 0,
    updated: 0,
    unchanged: 0,
    failed: 0,
    oneByOne: 0,
    problems: [],
  };
  for await (const chunk of chunks(documents, batchSize)) {
    if (options.stop?.aborted) break;
    let sorted: Sorted | undefined;
    for (let attempt = 1; !sorted; attempt++) {
      try {
        sorted = await writeBatch(db, chunk);
      } catch (error) {
        const code = (error as { code?: string }).code;
        const retry = error instanceof RaceError || (code !== undefined && RETRYABLE.has(code));
        if (!retry || attempt >= 5) throw error;
      }
    }
    result.created += sorted.fresh.length;
    result.unchanged += sorted.unchanged;
    for (const document of sorted.oneByOne) {
      result.oneByOne += 1;
      try {
        const { outcome } = await ingestArticle(db, document);
        result[outcome satisfies IngestOutcome] += 1;
      } catch (error) {
        result.failed += 1;
        result.problems.push(`${document.slug}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    options.onBatch?.(result, chunk.length);
  }
  return result;
}
