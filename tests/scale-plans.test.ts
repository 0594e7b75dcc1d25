import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadDataset } from '../bench/dataset/load.ts';
import type { Database } from '../src/db/database.ts';
import { openDatabase, type DatabaseHandle } from '../src/db/open-database.ts';
import { createPostgresDatabase, describePostgres } from './helpers/engines.ts';

/**
 * Query plans of the scale paths on generated data (2,000 articles, analyzed), with the planner's
 * small-table shortcuts (sequential scans, sorting a few rows) switched off as the listing-index test
 * does, so each plan shows which index can serve the query at a million articles: a person's newest
 * quotes come from `quotes_speaker_person_listed_at_idx` without a sort; name lookup finds its
 * candidates through `person_names_folded_trgm_idx`; search's candidates are the newest matches in
 * listing order, a bounded Limit whatever the word; quote search walks the articles a reader may see
 * newest first and tests each quote's stored document. Plans, not timings (timings live in bench:scale).
 */

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Plan Rows'?: number;
  Plans?: PlanNode[];
}
const planNodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(planNodes)];

async function plan(
  url: string,
  text: string,
  params: unknown[],
  settings: string[] = [],
): Promise<PlanNode[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const setting of settings) await client.query(setting);
    const { rows } = await client.query(`explain (format json) ${text}`, params);
    return planNodes((rows[0]['QUERY PLAN'] as [{ Plan: PlanNode }])[0].Plan);
  } finally {
    await client.end();
  }
}

describePostgres('query plans of the scale paths, on generated data', () => {
  let created: { url: string; dropDatabase: () => Promise<void> };
  let handle: DatabaseHandle;
  let db: Kysely<Database>;

  beforeAll(async () => {
    created = await createPostgresDatabase();
    await loadDataset({
      articles: 2000,
      seed: 42,
      databaseUrl: created.url,
      progress: { isTTY: false, write: () => true },
    });
    handle = await openDatabase({ databaseUrl: created.url });
    db = handle.db;
  }, 300_000);
  afterAll(async () => {
    await handle?.close();
    await created?.dropDatabase();
  });

  it("reads the most quoted person's newest quotes from the listed_at index, without a sort", async () => {
    const { rows } = await sql<{ id: number }>`select speaker_person_id as id from quotes
      where speaker_person_id is not null group by 1 order by count(*) desc limit 1`.execute(db);
    const nodes = await plan(
      created.url,
      `select quotes.* from quotes join articles on articles.id = quotes.article_id
       where articles.status = 'published' and articles.published_at <= now() and quotes.speaker_person_id = $1
       order by quotes.listed_at desc, quotes.article_id desc, quotes.ordinal asc limit 21`,
      [rows[0]!.id],
      // At this size the planner may sort a few rows instead: with sorts off, only an index that
      // yields the order can serve it, and this test says which one does.
      ['set enable_sort = off', 'set enable_incremental_sort = off', 'set enable_seqscan = off'],
    );
    expect(
      nodes.map((node) => node['Index Name']),
      JSON.stringify(nodes.map((n) => n['Node Type'])),
    ).toContain('quotes_speaker_person_listed_at_idx');
    expect(nodes.map((node) => node['Node Type'])).not.toContain('Sort');
  });

  it('finds name-lookup candidates through the trigram index on person_names', async () => {
    const nodes = await plan(
      created.url,
      `select distinct person_id from person_names
       where folded like '%' || split_part(byline_fold($1), ' ', 1) || '%' or folded % byline_fold($1)`,
      ['Nadia Okafor'],
      // Only a bitmap path is left: the trigram index must be able to answer both conditions, with
      // the patterns as plain expressions of the parameter (at 100k articles, with `%` costed as what
      // it does by migration 202612030203, the planner picks this path by itself).
      ['set enable_seqscan = off', 'set enable_indexscan = off', 'set enable_indexonlyscan = off'],
    );
    expect(
      nodes.map((node) => node['Index Name']),
      JSON.stringify(nodes.map((n) => n['Node Type'])),
    ).toContain('person_names_folded_trgm_idx');
  });

  it('walks a common word newest first and stops at the candidate bound', async () => {
    const nodes = await plan(
      created.url,
      `select articles.id from articles join article_search on article_search.article_id = articles.id
       where articles.status = 'published' and articles.published_at <= now()
         and article_search.document @@ websearch_to_tsquery('byline_english', $1)
       order by articles.listed_at desc, articles.id desc limit 200`,
      ['budget'],
      ['set enable_seqscan = off', 'set enable_bitmapscan = off'],
    );
    const types = nodes.map((node) => node['Node Type']);
    expect(types[0]).toBe('Limit');
    expect(nodes.map((node) => node['Index Name'])).toContain('articles_listed_at_idx');
    expect(types).not.toContain('Sort');
  });

  it("walks the readers' articles newest first for quote search, testing each quote's stored document", async () => {
    const nodes = await plan(
      created.url,
      `select quotes.id from quotes join articles on articles.id = quotes.article_id
       where articles.status = 'published' and articles.published_at <= now() and articles.taken_down_at is null
         and quotes.search_document @@ websearch_to_tsquery('byline_english', $1)
       order by articles.listed_at desc, articles.id desc, quotes.id desc limit 200`,
      ['budget'],
      ['set enable_seqscan = off', 'set enable_bitmapscan = off'],
    );
    const types = nodes.map((node) => node['Node Type']);
    expect(types[0]).toBe('Limit');
    // Visibility once per article: the walk starts from the articles, then each one's quotes.
    expect(nodes.map((node) => node['Index Name'])).toContain('articles_listed_at_idx');
    expect(types).not.toContain('Sort');
    expect(JSON.stringify(nodes)).not.toContain('byline_quote_search_vector');
  });
});
