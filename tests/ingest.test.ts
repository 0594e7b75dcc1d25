import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateArticleDocument, type ArticleDocument } from '../src/ingest/article-document.ts';
import { ingestArticle } from '../src/ingest/ingest-article.ts';
import { ingestPaths } from '../src/ingest/ingest-paths.ts';
import { demoContentDir } from '../src/http/start-gateway.ts';
import { byline } from './helpers/cli.ts';
import { createPgliteDataDir, describeEachEngine, type TestDatabase } from './helpers/engines.ts';
import { makeArticle, writeArticleFiles } from './helpers/fixtures.ts';

const TABLES = [
  'sections',
  'tags',
  'people',
  'organizations',
  'images',
  'articles',
  'article_tags',
  'article_authors',
  'article_mentions',
  'article_organizations',
  'quotes',
  'related_links',
] as const;

async function snapshot(database: TestDatabase) {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const { rows } = await sql<{
      count: number;
    }>`select count(*)::int as count from ${sql.table(table)}`.execute(database.handle.db);
    counts[table] = rows[0]!.count;
  }
  const quotes = await database.handle.db
    .selectFrom('quotes')
    .select(['id', 'article_id', 'ordinal', 'text'])
    .orderBy('id')
    .execute();
  const articles = await database.handle.db
    .selectFrom('articles')
    .select(['id', 'slug', 'content_hash', 'updated_at'])
    .orderBy('id')
    .execute();
  return { counts, quotes, articles };
}

describe('validateArticleDocument', () => {
  it('accepts every demo article', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const files = (await readdir(demoContentDir)).filter((file) => file.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const file of files) {
      const result = validateArticleDocument(
        JSON.parse(await readFile(path.join(demoContentDir, file), 'utf8')),
      );
      expect(result.ok ? [] : result.problems, file).toEqual([]);
    }
  });

  it('reports each problem with its JSON path and what was expected', () => {
    const document = makeArticle({
      slug: 'Not A Slug',
      quotes: [{ key: 'q1', text: 'Said.', speaker: { person: 'nobody' } }],
      body: [{ type: 'paragraph', text: 'Text.', quotes: ['q1', 'q9'] }],
    });
    const result = validateArticleDocument({ ...document, publishedAt: 'yesterday' });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: '$.slug', message: expect.stringContaining('expected a slug') },
        { path: '$.publishedAt', message: expect.stringContaining('expected an ISO 8601 date-time') },
      ]),
    );
    const second = validateArticleDocument(document);
    const messages = second.ok ? [] : second.problems;
    expect(messages).toEqual(
      expect.arrayContaining([{ path: '$.slug', message: expect.stringContaining('expected a slug') }]),
    );
  });

  it('checks cross-references once the shape is right', () => {
    const result = validateArticleDocument(
      makeArticle({
        quotes: [
          { key: 'q1', text: 'Said.', speaker: { person: 'nobody' } },
          { key: 'q2', text: 'Also said.', speaker: { name: 'a spokesman' } },
        ],
        body: [
          { type: 'paragraph', text: 'Text.', quotes: ['q1', 'q9'] },
          { type: 'relatedLink', link: 'missing' },
        ],
      }),
    );
    expect(result.ok ? [] : result.problems).toEqual([
      {
        path: '$.quotes[0].speaker.person',
        message:
          'unknown person "nobody": expected a slug listed in "people" or "authors" (ada-writer, sam-source)',
      },
      { path: '$.body[0].quotes[1]', message: 'unknown quote key "q9" (keys are: q1, q2)' },
      { path: '$.body[1].link', message: 'unknown related link key "missing" (keys are: l1)' },
      {
        path: '$.quotes[1]',
        message:
          'quote "q2" is not placed in the body: expected it in a paragraph\'s "quotes" or a quote block',
      },
    ]);
  });

  it('requires exactly one kind of speaker', () => {
    const document = makeArticle();
    const result = validateArticleDocument({
      ...document,
      quotes: [
        { ...document.quotes![0]!, speaker: { person: 'sam-source', name: 'Sam' } },
        document.quotes![1],
      ],
    });
    expect(result.ok ? [] : result.problems).toEqual([
      { path: '$.quotes[0].speaker', message: 'expected exactly one of "person", "organization", "name"' },
    ]);
  });
});

describeEachEngine('ingest', (engine) => {
  // One database for the file (a PGlite start is costly); every test uses slugs of its own.
  let database: TestDatabase;
  beforeAll(async () => {
    database = await engine.open();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('is idempotent: ingesting the demo twice changes nothing', async () => {
    const first = await ingestPaths(database.handle.db, [demoContentDir]);
    expect(first.failed).toBe(0);
    expect(first.files.every((file) => file.outcome === 'created')).toBe(true);
    const before = await snapshot(database);
    const second = await ingestPaths(database.handle.db, [demoContentDir]);
    expect(second.files.map((file) => file.outcome)).toEqual(first.files.map(() => 'unchanged'));
    expect(await snapshot(database)).toEqual(before);
  });

  it('replaces the quotes and links of an edited article without orphans, keeping ids where positions stay', async () => {
    const original = makeArticle({
      quotes: [
        { key: 'a', text: 'First.', speaker: { person: 'sam-source' } },
        { key: 'b', text: 'Second.', speaker: { organization: 'acme-ministry' } },
        { key: 'c', text: 'Third.', speaker: { name: 'a bystander' } },
      ],
      relatedLinks: [
        { key: 'x', title: 'X', url: 'https://example.org/x' },
        { key: 'y', title: 'Y', url: 'https://example.org/y' },
      ],
      body: [
        { type: 'paragraph', text: 'First. Second.', quotes: ['a', 'b'] },
        { type: 'relatedLink', link: 'x' },
        { type: 'quote', quote: 'c' },
        { type: 'relatedLink', link: 'y' },
      ],
    });
    const { articleId } = await ingestArticle(database.handle.db, original);
    const before = await database.handle.db
      .selectFrom('quotes')
      .select(['id', 'ordinal'])
      .where('article_id', '=', articleId)
      .orderBy('ordinal')
      .execute();

    const edited: ArticleDocument = {
      ...original,
      headline: 'Edited headline',
      quotes: [{ key: 'a', text: 'First, revised.', speaker: { person: 'sam-source' } }],
      relatedLinks: [{ key: 'z', title: 'Z', url: 'https://example.org/z' }],
      body: [
        { type: 'paragraph', text: 'First, revised.', quotes: ['a'] },
        { type: 'relatedLink', link: 'z' },
      ],
    };
    const result = await ingestArticle(database.handle.db, edited);
    expect(result).toMatchObject({ articleId, outcome: 'updated' });

    const quotes = await database.handle.db
      .selectFrom('quotes')
      .selectAll()
      .where('article_id', '=', articleId)
      .execute();
    expect(quotes).toEqual([
      expect.objectContaining({ id: before[0]!.id, ordinal: 0, text: 'First, revised.' }),
    ]);
    const links = await database.handle.db
      .selectFrom('related_links')
      .selectAll()
      .where('article_id', '=', articleId)
      .execute();
    expect(links).toEqual([expect.objectContaining({ article_id: articleId, position: 0, title: 'Z' })]);
    const article = await database.handle.db
      .selectFrom('articles')
      .selectAll()
      .where('id', '=', articleId)
      .executeTakeFirstOrThrow();
    expect(article.headline).toBe('Edited headline');
    expect(article.body).toEqual([
      { type: 'paragraph', text: 'First, revised.' },
      { type: 'relatedLink', link: 0 },
    ]);
  });

  it('rejects a bad file whole while the good files of the same run land', async () => {
    const good = makeArticle({ slug: 'good-article' });
    const bad = makeArticle({
      slug: 'bad-article',
      quotes: [{ key: 'q', text: 'x', speaker: { person: 'ghost' } }],
      body: [{ type: 'paragraph', text: 'x', quotes: ['q'] }],
    });
    const { paths } = await writeArticleFiles({
      'a-good.json': good,
      'b-bad.json': bad,
      'c-broken.json': '{ "slug": ',
    });
    const summary = await ingestPaths(database.handle.db, paths);
    expect(summary).toMatchObject({ landed: 1, failed: 2 });
    expect(summary.files[1]!.problems).toEqual([
      `${paths[1]}: $.quotes[0].speaker.person: unknown person "ghost": expected a slug listed in "people" or "authors" (ada-writer, sam-source)`,
    ]);
    expect(summary.files[2]!.problems[0]).toMatch(/c-broken\.json: \$: expected JSON: /);
    const slugs = await database.handle.db
      .selectFrom('articles')
      .select('slug')
      .where('slug', 'like', '%-article')
      .execute();
    expect(slugs).toEqual([{ slug: 'good-article' }]);
    // Nothing of the bad file: its people, images and tags are not there either.
    const images = await database.handle.db.selectFrom('images').select('url').execute();
    expect(images.map((image) => image.url)).not.toContain('https://media.example/bad-article.jpg');
  });

  it('rolls back the whole article when a write fails midway', async () => {
    await ingestArticle(
      database.handle.db,
      makeArticle({ slug: 'owner', url: 'https://news.example/story' }),
    );
    const before = await snapshot(database);
    const thief = makeArticle({ slug: 'thief', url: 'https://news.example/story' });
    await expect(ingestArticle(database.handle.db, thief)).rejects.toThrow(
      'url https://news.example/story already belongs to article "owner": expected a unique url',
    );
    expect(await snapshot(database)).toEqual(before);
  });

  it('targets a linked article ingested later', async () => {
    const linking = makeArticle({
      slug: 'linking',
      relatedLinks: [{ key: 'l', title: 'Later', article: 'later' }],
      body: [
        { type: 'relatedLink', link: 'l' },
        { type: 'paragraph', text: 'Text.' },
      ],
      quotes: [],
    });
    await ingestArticle(database.handle.db, linking);
    const before = await database.handle.db
      .selectFrom('related_links')
      .select('target_article_id')
      .executeTakeFirstOrThrow();
    expect(before.target_article_id).toBeNull();
    const { articleId } = await ingestArticle(database.handle.db, makeArticle({ slug: 'later' }));
    const after = await database.handle.db
      .selectFrom('related_links')
      .select('target_article_id')
      .where('target_slug', '=', 'later')
      .executeTakeFirstOrThrow();
    expect(after.target_article_id).toBe(articleId);
  });
});

describe('byline ingest', () => {
  it('exits non-zero with a summary when any file failed', async () => {
    const { dataDir, remove } = await createPgliteDataDir('migrated');
    try {
      const { dir } = await writeArticleFiles({
        'good.json': makeArticle({ slug: 'cli-good' }),
        'bad.json': { ...makeArticle({ slug: 'cli-bad' }), body: [] },
      });
      const { code, stdout, stderr } = await byline(['ingest', dir], { BYLINE_DATA_DIR: dataDir });
      expect(stderr).toContain('bad.json: $.body: expected at least one block');
      expect(stdout).toContain('created   cli-good');
      expect(stdout).toMatch(/1 landed, 1 failed: .*bad\.json/);
      expect(code).toBe(1);
      const again = await byline(['ingest', path.join(dir, 'good.json')], { BYLINE_DATA_DIR: dataDir });
      expect(again.stdout).toContain('unchanged cli-good');
      expect(again.code).toBe(0);
    } finally {
      await remove();
    }
  }, 60_000);
});
