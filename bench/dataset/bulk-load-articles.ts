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
import { planArticle, type NamedIds } from '../../src/ingest/ingest-article.ts';
import {
  articleLinkValues,
  articleValues,
  imageValues,
  personValues,
  quoteValues,
  relatedLinkValues,
  termValues,
} from '../../src/ingest/ingest.repository.ts';

/** Tables the load fills, in an order that satisfies their foreign keys. */
const CONTENT_TABLES = [
  'sections',
  'tags',
  'organizations',
  'people',
  'images',
  'articles',
  'article_tags',
  'article_authors',
  'article_mentions',
  'article_organizations',
  'quotes',
  'related_links',
  'article_search',
] as const;
type ContentTable = (typeof CONTENT_TABLES)[number];

const IDENTITY_TABLES = [
  'sections',
  'tags',
  'organizations',
  'people',
  'images',
  'articles',
  'quotes',
  'related_links',
] as const;
type IdentityTable = (typeof IDENTITY_TABLES)[number];
type TermTable = 'sections' | 'tags' | 'organizations' | 'people' | 'images';

/** Thrown when the database already holds content: bulk builds a data set, it does not update one. */
export class NotEmptyError extends Error {
  override name = 'NotEmptyError';
}

export interface BulkLoadOptions {
  /** Articles per batch: one statement per table per batch. */
  readonly batchSize?: number;
  /** Called after each batch is written, with the number of articles in it. */
  readonly onBatch?: (articles: number) => void;
}

type Row = Record<string, unknown>;

/** Tables whose rows a batch carries; `article_search` is computed in SQL. */
type RowTable = Exclude<ContentTable, 'article_search'>;

interface Batch {
  readonly rows: Record<RowTable, Row[]>;
  readonly articleIds: number[];
}

/** Identity draws of one table, as ingest's inserts would make them. */
class IdentityCounter {
  private next: number;
  constructor(next: number) {
    this.next = next;
  }
  draw(): number {
    return this.next++;
  }
  /** The sequence's `last_value` after the draws, or null when nothing was drawn from `start`. */
  lastValue(start: number): number | null {
    return this.next > start ? this.next - 1 : null;
  }
}

/** A term table's rows by natural key (slug, or url for images): its id and the values written. */
class TermRegistry {
  readonly ids = new Map<string, number>();
  private readonly written = new Map<string, string>();
  private readonly table: TermTable;
  private readonly counter: IdentityCounter;
  constructor(table: TermTable, counter: IdentityCounter) {
    this.table = table;
    this.counter = counter;
  }

  /**
   * Registers what one ingest upsert of `values` would do: every proposed row draws an id, new keys
   * keep theirs and become rows of this batch.
   */
  upsert(values: readonly Row[], key: 'slug' | 'url', batch: Row[]): void {
    for (const row of values) {
      const id = this.counter.draw();
      const natural = row[key] as string;
      const json = JSON.stringify(row);
      const earlier = this.written.get(natural);
      if (earlier === undefined) {
        this.ids.set(natural, id);
        this.written.set(natural, json);
        batch.push({ id, ...row });
      } else if (earlier !== json) {
        throw new Error(
          `bulk load: expected ${this.table} "${natural}" to be the same in every document, got ${earlier} then ${json}`,
        );
      }
    }
  }
}

/** Turns documents into batches of rows, keeping the identity counters ingest's inserts would advance. */
class BulkRowBuilder {
  private readonly terms: Record<TermTable, TermRegistry>;
  private readonly articles: IdentityCounter;
  private readonly quotes: IdentityCounter;
  private readonly relatedLinks: IdentityCounter;
  private readonly slugs = new Set<string>();
  private readonly ids: NamedIds;

  readonly counters: Record<IdentityTable, IdentityCounter>;

  constructor(counters: Record<IdentityTable, IdentityCounter>) {
    this.counters = counters;
    this.terms = {
      sections: new TermRegistry('sections', counters.sections),
      tags: new TermRegistry('tags', counters.tags),
      organizations: new TermRegistry('organizations', counters.organizations),
      people: new TermRegistry('people', counters.people),
      images: new TermRegistry('images', counters.images),
    };
    this.articles = counters.articles;
    this.quotes = counters.quotes;
    this.relatedLinks = counters.related_links;
    this.ids = {
      sections: this.terms.sections.ids,
      tags: this.terms.tags.ids,
      organizations: this.terms.organizations.ids,
      people: this.terms.people.ids,
      images: this.terms.images.ids,
    };
  }

  build(documents: readonly ArticleDocument[]): Batch {
    const rows = Object.fromEntries(
      CONTENT_TABLES.filter((table) => table !== 'article_search').map((table) => [table, []]),
    ) as unknown as Record<RowTable, Row[]>;
    const articleIds: number[] = [];
    for (const document of documents) {
      if (this.slugs.has(document.slug)) {
        throw new Error(`bulk load: expected each article slug once, got "${document.slug}" again`);
      }
      this.slugs.add(document.slug);
      const plan = planArticle(document);
      // The order of ingestArticle's upserts, so every table draws its ids in ingest's order.
      this.terms.sections.upsert(plan.names.sections.map(termValues), 'slug', rows.sections);
      this.terms.tags.upsert(plan.names.tags.map(termValues), 'slug', rows.tags);
      this.terms.organizations.upsert(plan.names.organizations.map(termValues), 'slug', rows.organizations);
      this.terms.people.upsert(plan.names.people.map(personValues), 'slug', rows.people);
      this.terms.images.upsert(plan.names.images.map(imageValues), 'url', rows.images);
      const built = plan.rows(this.ids);
      const articleId = this.articles.draw();
      articleIds.push(articleId);
      // The stored JSON itself, not ingest's string of it: in a JSON record a string stays a string.
      rows.articles.push({ id: articleId, ...articleValues(built.article), body: built.article.body });
      const links = articleLinkValues(articleId, built.links);
      rows.article_tags.push(...links.article_tags);
      rows.article_authors.push(...links.article_authors);
      rows.article_mentions.push(...links.article_mentions);
      rows.article_organizations.push(...links.article_organizations);
      for (const quote of quoteValues(articleId, built.quotes)) {
        rows.quotes.push({ id: this.quotes.draw(), ...quote });
      }
      for (const link of relatedLinkValues(articleId, built.relatedLinks)) {
        rows.related_links.push({ id: this.relatedLinks.draw(), ...link });
      }
    }
    return { rows, articleIds };
  }
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

async function sequenceName(db: Db, table: IdentityTable): Promise<string> {
  const { rows } = await sql<{ name: string }>`select pg_get_serial_sequence(${table}, 'id') as name`.execute(
    db,
  );
  return rows[0]!.name;
}

/** Inserts rows whose keys are columns of `table`, typed by the table's own row type. */
async function insertRows(db: Db, table: RowTable, rows: readonly Row[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})
    overriding system value
    select ${sql.join(columns.map((c) => sql.ref(`r.${c}`)))}
    from json_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::json) as r`.execute(db);
}

async function writeRows(db: Db, { rows }: Batch): Promise<void> {
  for (const table of ['sections', 'tags', 'organizations', 'people', 'images', 'articles'] as const) {
    await insertRows(db, table, rows[table]);
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
async function writeSearch(db: Db, { articleIds }: Batch): Promise<void> {
  await sql`insert into article_search (article_id, document)
    select id, byline_article_search_vector(id) from unnest(${articleIds}::int[]) as id`.execute(db);
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
