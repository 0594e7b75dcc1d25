import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bulkLoadArticles } from '../bench/dataset/bulk-load-articles.ts';
import { loadDataset } from '../bench/dataset/load.ts';
import { validateArticleDocument, type ArticleDocument } from '../src/ingest/article-document.ts';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createSamplers, datasetShape, generateArticle, generateCatalog } from '../bench/dataset/generate.ts';
import { bulkIngestArticles } from '../src/ingest/bulk-ingest.ts';
import { contentHash, ingestArticle } from '../src/ingest/ingest-article.ts';
import { createPostgresDatabase, describePostgres, type TestDatabase } from './helpers/engines.ts';
import { eventually } from './helpers/waiting.ts';
import { makeArticle } from './helpers/fixtures.ts';

const execFileAsync = promisify(execFile);

/**
 * The bulk path of `bench:data` writes exactly the rows ingest writes: the same documents through
 * `--method ingest` and `--method bulk` into two fresh databases, every table compared row by row,
 * ids included (bulk draws them as ingest's inserts do).
 *
 * Left out of the comparison, because ingest takes them from the wall clock: `created_at` and
 * `updated_at` of sections, tags, people and organizations, `articles.created_at`, and for drafts
 * (no `publishedAt`) `articles.updated_at` and the `listed_at` that falls back to `created_at` — for
 * those the test checks instead that each link row carries its article's `listed_at`.
 */

const silent = { isTTY: false, write: () => true };

const listedAt = (alias: string) =>
  `case when a.published_at is null then null else ${alias}.listed_at end as listed_at,
   ${alias}.listed_at is not distinct from a.listed_at as listed_at_is_articles`;

/** Every content table, all columns (less the clock's), ordered by its natural key. */
const TABLES: Record<string, string> = {
  sections: 'select id, slug, name, description from sections order by slug',
  tags: 'select id, slug, name, description from tags order by slug',
  people: 'select id, slug, name, honorific, description, aliases from people order by slug',
  organizations: 'select id, slug, name, description from organizations order by slug',
  images: 'select * from images order by url',
  articles: `select id, slug, url, headline, standfirst, section_id, status, published_at,
      case when published_at is null then null else updated_at end as updated_at,
      language, lead_image_id, body::text as body, word_count, content_hash,
      case when published_at is null then null else listed_at end as listed_at,
      listed_at = coalesce(published_at, created_at) as listed_at_follows_rule
    from articles order by slug`,
  article_tags: `select l.article_id, l.tag_id, l.position, ${listedAt('l')}
    from article_tags l join articles a on a.id = l.article_id order by a.slug, l.position`,
  article_authors: `select l.article_id, l.person_id, l.position, ${listedAt('l')}
    from article_authors l join articles a on a.id = l.article_id order by a.slug, l.position`,
  article_mentions: `select l.article_id, l.person_id, l.position, l.role, ${listedAt('l')}
    from article_mentions l join articles a on a.id = l.article_id order by a.slug, l.position`,
  article_organizations: `select l.* from article_organizations l join articles a on a.id = l.article_id
    order by a.slug, l.position`,
  quotes: `select q.id, q.article_id, q.ordinal, q.block_position, q.text, q.context, q.speaker_person_id,
      q.speaker_organization_id, q.speaker_name, ${listedAt('q')}
    from quotes q join articles a on a.id = q.article_id order by a.slug, q.ordinal`,
  related_links: `select l.* from related_links l join articles a on a.id = l.article_id
    order by a.slug, l.position`,
  article_search: `select s.article_id, s.document::text as document
    from article_search s join articles a on a.id = s.article_id order by a.slug`,
};

const SEQUENCES = `select t as table, pg_sequence_last_value(pg_get_serial_sequence(t, 'id')) as last_value
  from unnest(array['sections', 'tags', 'people', 'organizations', 'images', 'articles', 'quotes',
    'related_links']) as t order by t`;

const INDEXES = `select tablename, indexname, indexdef from pg_indexes where schemaname = 'public'
  order by tablename, indexname`;

async function query(url: string, text: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

/** Compares every table of two databases; both sides of each must hold rows. */
function itWritesTheSameRows(databases: () => { ingest: string; bulk: string }) {
  for (const [table, text] of Object.entries(TABLES)) {
    it(`writes the same ${table} rows as ingest`, async () => {
      const { ingest, bulk } = databases();
      const [expected, actual] = await Promise.all([query(ingest, text), query(bulk, text)]);
      expect(expected.length, `${table} is empty after ingest`).toBeGreaterThan(0);
      expect(actual).toEqual(expected);
    });
  }

  it('leaves every identity sequence where ingest leaves it', async () => {
    const { ingest, bulk } = databases();
    const [expected, actual] = await Promise.all([query(ingest, SEQUENCES), query(bulk, SEQUENCES)]);
    expect(expected).toHaveLength(8);
    expect(actual).toEqual(expected);
  });

  it('rebuilds every index it dropped, as the migrations define it', async () => {
    const { ingest, bulk } = databases();
    const [expected, actual] = await Promise.all([query(ingest, INDEXES), query(bulk, INDEXES)]);
    expect(expected.length).toBeGreaterThan(20);
    expect(actual).toEqual(expected);
  });
}

describePostgres('bench:data --method bulk, on the generated data set', () => {
  const created: { url: string; dropDatabase: () => Promise<void> }[] = [];
  const urls = { ingest: '', bulk: '' };

  beforeAll(async () => {
    for (const method of ['ingest', 'bulk'] as const) {
      const database = await createPostgresDatabase('migrated');
      created.push(database);
      urls[method] = database.url;
      // Batches of 40, so links to earlier articles cross batches.
      await loadDataset({
        articles: 150,
        seed: 42,
        databaseUrl: database.url,
        method,
        batchSize: 40,
        progress: silent,
      });
    }
  }, 180_000);

  afterAll(async () => {
    for (const database of created) await database.dropDatabase();
  });

  itWritesTheSameRows(() => urls);

  it('loads drafts and links to our own articles, the cases with rules of their own', async () => {
    const [row] = (await query(
      urls.bulk,
      `select (select count(*)::int from articles where status = 'draft') as drafts,
         (select count(*)::int from related_links where target_article_id is not null) as targeted,
         (select count(*)::int from related_links where target_slug is not null and target_article_id is null)
           as untargeted`,
    )) as { drafts: number; targeted: number; untargeted: number }[];
    expect(row).toEqual({ drafts: 4, targeted: expect.any(Number), untargeted: 0 });
    expect(row!.targeted).toBeGreaterThan(100);
  });
});

describePostgres('bench:data --method bulk, on documents with forward links', (postgres) => {
  const databases: TestDatabase[] = [];
  const urls = { ingest: '', bulk: '' };

  const valid = (document: ArticleDocument): ArticleDocument => {
    const validation = validateArticleDocument(document);
    if (!validation.ok) throw new Error(JSON.stringify(validation.problems));
    return validation.document;
  };
  const link = (key: string, article: string) => ({ key, title: `To ${article}`, article });
  // The first links forward to the third (a later batch) and to an article that never comes.
  const documents = [
    makeArticle({
      slug: 'bulk-first',
      relatedLinks: [link('l1', 'bulk-third'), link('l2', 'bulk-never-written')],
    }),
    makeArticle({ slug: 'bulk-second', status: 'draft', publishedAt: undefined }),
    makeArticle({ slug: 'bulk-third', relatedLinks: [link('l1', 'bulk-first'), link('l2', 'bulk-second')] }),
  ].map(valid);

  beforeAll(async () => {
    for (const method of ['ingest', 'bulk'] as const) {
      const database = await postgres.open();
      databases.push(database);
      urls[method] = database.url!;
      if (method === 'ingest') {
        for (const document of documents) await ingestArticle(database.handle.db, document);
      } else {
        await bulkLoadArticles(database.handle.db, documents, { batchSize: 2 });
      }
    }
  });

  afterAll(async () => {
    for (const database of databases) await database.drop();
  });

  itWritesTheSameRows(() => urls);

  it('targets a link at an article loaded after it, and leaves an unknown slug untargeted', async () => {
    const rows = await query(
      urls.bulk,
      `select l.target_slug, t.slug as target from related_links l
         join articles a on a.id = l.article_id left join articles t on t.id = l.target_article_id
       where a.slug = 'bulk-first' order by l.position`,
    );
    expect(rows).toEqual([
      { target_slug: 'bulk-third', target: 'bulk-third' },
      { target_slug: 'bulk-never-written', target: null },
    ]);
  });

  it('refuses documents that name a term differently, which ingest would update', async () => {
    const database = await postgres.open();
    try {
      const renamed = [
        makeArticle({ tags: [{ slug: 'testing', name: 'Testing' }] }),
        makeArticle({ tags: [{ slug: 'testing', name: 'Tests' }] }),
      ].map(valid);
      await expect(bulkLoadArticles(database.handle.db, renamed)).rejects.toThrow(
        /expected tags "testing" to be the same in every document/,
      );
      // One transaction: nothing of the failed load stays behind.
      const [row] = (await query(
        database.url!,
        'select (select count(*) from articles)::int + (select count(*) from tags)::int as rows',
      )) as { rows: number }[];
      expect(row!.rows).toBe(0);
    } finally {
      await database.drop();
    }
  });
});

/** The generated data set's documents 0 … count−1, validated. */
function generatedDocuments(count: number, seed = 42): ArticleDocument[] {
  const shape = datasetShape(count);
  const catalog = generateCatalog(shape, seed);
  const samplers = createSamplers(shape);
  return Array.from({ length: count }, (_, index) => {
    const validation = validateArticleDocument(generateArticle(shape, catalog, samplers, seed, index));
    if (!validation.ok) throw new Error(JSON.stringify(validation.problems));
    return validation.document;
  });
}

describePostgres('bulk ingest into a database that already holds content', (postgres) => {
  const databases: TestDatabase[] = [];
  const urls = { ingest: '', bulk: '' };
  const documents = generatedDocuments(150);
  let result: Awaited<ReturnType<typeof bulkIngestArticles>>;

  beforeAll(async () => {
    for (const method of ['ingest', 'bulk'] as const) {
      const database = await postgres.open();
      databases.push(database);
      urls[method] = database.url!;
      // The same content first, one by one: the first 60 articles and the people, tags and images they name.
      for (const document of documents.slice(0, 60)) await ingestArticle(database.handle.db, document);
      if (method === 'ingest') {
        for (const document of documents) await ingestArticle(database.handle.db, document);
      } else {
        // Batches of 40: links to earlier articles cross batches, and the first 60 are stored already.
        result = await bulkIngestArticles(database.handle.db, documents, { batchSize: 40 });
      }
    }
  }, 180_000);

  afterAll(async () => {
    for (const database of databases) await database.drop();
  });

  itWritesTheSameRows(() => urls);

  it('skips what is stored unchanged and writes the rest in bulk', () => {
    expect(result).toMatchObject({ created: 90, updated: 0, unchanged: 60, failed: 0, oneByOne: 0 });
  });

  it('is idempotent: a second run changes nothing', async () => {
    const before = await query(urls.bulk, TABLES['articles']!);
    const again = await bulkIngestArticles(databases[1]!.handle.db, documents, { batchSize: 40 });
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 150, failed: 0 });
    expect(await query(urls.bulk, TABLES['articles']!)).toEqual(before);
  });

  it('hands a changed article to one-by-one ingest, which updates it', async () => {
    const changed = { ...documents[3]!, headline: 'A changed headline for the bulk test' };
    const run = await bulkIngestArticles(databases[1]!.handle.db, [documents[2]!, changed], {
      batchSize: 40,
    });
    expect(run).toMatchObject({ created: 0, updated: 1, unchanged: 1, oneByOne: 1 });
    const [row] = (await query(
      urls.bulk,
      `select a.headline, s.document::text like '%''bulk'':%' as searchable from articles a
         join article_search s on s.article_id = a.id where a.slug = '${changed.slug}'`,
    )) as { headline: string; searchable: boolean }[];
    expect(row).toEqual({ headline: changed.headline, searchable: true });
  });

  it('hands a stored source id under a new slug to ingest, which renames the story instead of adding a second', async () => {
    const db = databases[1]!.handle.db;
    // A story of its own (no url: a url is an identity too), first stored one by one with the CMS's id.
    const { url: _url, ...story } = documents[5]!;
    const original = { ...story, slug: 'bulk-identity-story', sourceId: 'cms-bulk-identity' };
    await ingestArticle(db, original);
    const renamed = { ...original, slug: `${original.slug}-renamed`, headline: 'Renamed by the CMS' };
    const run = await bulkIngestArticles(db, [renamed], { batchSize: 40 });
    expect(run).toMatchObject({ created: 0, updated: 1, oneByOne: 1 });
    const rows = (await query(
      urls.bulk,
      `select slug, headline from articles where source_id = 'cms-bulk-identity'`,
    )) as { slug: string; headline: string }[];
    expect(rows).toEqual([{ slug: renamed.slug, headline: renamed.headline }]);
  });
});

describePostgres('byline ingest --bulk, killed mid-import', (postgres) => {
  let database: TestDatabase;
  let directory: string;
  const documents = generatedDocuments(600, 7);
  const run = (signal?: AbortSignal) =>
    execFileAsync(
      'node_modules/.bin/node',
      ['bin/byline.mjs', 'ingest', '--bulk', '--batch-size', '50', '--quiet', directory],
      { env: { ...process.env, DATABASE_URL: database.url!, NODE_ENV: 'production' }, signal },
    );

  beforeAll(async () => {
    database = await postgres.open();
    // Content that is there before the import, as on a live site.
    for (const document of documents.slice(0, 20)) await ingestArticle(database.handle.db, document);
    directory = await mkdtemp(path.join(tmpdir(), 'byline-bulk-'));
    await Promise.all(
      documents.map((document, index) =>
        writeFile(path.join(directory, `${String(index).padStart(4, '0')}.json`), JSON.stringify(document)),
      ),
    );
  }, 120_000);

  afterAll(async () => {
    await database?.drop();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  const count = async () =>
    ((await query(database.url!, 'select count(*)::int as n from articles')) as { n: number }[])[0]!.n;

  it('keeps what landed before a SIGKILL, and a re-run skips it and finishes the rest', async () => {
    const child = spawn(
      'node_modules/.bin/node',
      ['bin/byline.mjs', 'ingest', '--bulk', '--batch-size', '50', '--quiet', directory],
      { env: { ...process.env, DATABASE_URL: database.url!, NODE_ENV: 'production' }, stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // Killed once at least one batch has committed and before the import is done.
    await eventually(async () => ((await count()) > 20 ? true : undefined), 1200, 'a first batch to commit');
    child.kill('SIGKILL');
    await exited;
    const landed = await count();
    expect(landed).toBeLessThan(600);

    const { stdout } = await run();
    const [, created, , unchanged] = /(\d+) landed \((\d+) created, (\d+) updated, (\d+) unchanged\)/
      .exec(stdout)!
      .slice(1)
      .map(Number);
    expect(unchanged).toBe(landed);
    expect(created).toBe(600 - landed);

    const [row] = (await query(
      database.url!,
      `select (select count(*)::int from articles) as articles,
         (select count(*)::int from article_search) as searchable,
         (select count(*)::int from quotes) as quotes,
         (select count(*)::int from related_links l join articles t on t.slug = l.target_slug
            where l.target_article_id is distinct from t.id) as unresolved`,
    )) as { articles: number; searchable: number; quotes: number; unresolved: number }[];
    expect(row).toEqual({
      articles: 600,
      searchable: 600,
      quotes: documents.reduce((sum, document) => sum + (document.quotes?.length ?? 0), 0),
      unresolved: 0,
    });
    const hashes = (await query(database.url!, 'select slug, content_hash from articles order by slug')) as {
      slug: string;
      content_hash: string;
    }[];
    expect(hashes).toEqual(
      documents
        .map((document) => ({ slug: document.slug, content_hash: contentHash(document) }))
        .sort((a, b) => (a.slug < b.slug ? -1 : 1)),
    );
  }, 300_000);
});
