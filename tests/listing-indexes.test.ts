import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ArticleDocument } from '../src/ingest/article-document.ts';
import { ingestArticle } from '../src/ingest/ingest-article.ts';
import { listArticlesQuery, type ArticleListFilter } from '../src/modules/articles/index.ts';
import { anonymousViewer } from '../src/shared/viewer.ts';
import { describeEachEngine } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { useGateway } from './helpers/use-gateway.ts';

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

const hour = (n: number) => new Date(Date.UTC(2024, 2, 1) + n * 3_600_000).toISOString();

function numbered(n: number): ArticleDocument {
  return makeArticle({
    slug: `listing-${n}`,
    publishedAt: hour(n % 7 === 0 ? 0 : n), // some ties on the date, broken by id
    section: n % 2 === 0 ? { slug: 'even', name: 'Even' } : { slug: 'odd', name: 'Odd' },
    tags: [{ slug: `tag-${n % 3}`, name: `Tag ${n % 3}` }],
    authors: [{ slug: `author-${n % 2}`, name: `Author ${n % 2}` }],
    people: [{ slug: `person-${n % 4}`, name: `Person ${n % 4}` }],
    quotes: [],
    relatedLinks: [],
    body: [{ type: 'paragraph', text: `Article ${n}.` }],
  });
}

const COUNT = 40;

describeEachEngine('ordered article listings', (engine) => {
  const ids = new Map<string, number>();
  const gateway = useGateway(engine, {
    seed: async ({ handle }) => {
      for (let n = 0; n < COUNT; n += 1) await ingestArticle(handle.db, numbered(n));
      const db = handle.db;
      for (const [table, rows] of [
        ['sections', await db.selectFrom('sections').select(['id', 'slug']).execute()],
        ['tags', await db.selectFrom('tags').select(['id', 'slug']).execute()],
        ['people', await db.selectFrom('people').select(['id', 'slug']).execute()],
      ] as const) {
        for (const row of rows) ids.set(`${table}:${row.slug}`, row.id);
      }
    },
  });

  const listings: [string, () => ArticleListFilter, string][] = [
    ['Section.articles', () => ({ sectionId: ids.get('sections:even')! }), 'articles_section_listed_at_idx'],
    ['Tag.articles', () => ({ tagId: ids.get('tags:tag-1')! }), 'article_tags_tag_listed_at_idx'],
    [
      'Person.articles',
      () => ({ authorId: ids.get('people:author-1')! }),
      'article_authors_person_listed_at_idx',
    ],
    [
      'Person.mentionedIn',
      () => ({ mentionedPersonId: ids.get('people:person-2')! }),
      'article_mentions_person_listed_at_idx',
    ],
  ];

  // On a set this small the planner rightly prefers sequential or bitmap scans; with both off, a plan
  // without a Sort shows an index path yields the rows already in order.
  describe('EXPLAIN with sequential and bitmap scans off', () => {
    for (const [listing, filter, index] of listings) {
      for (const after of [undefined, [new Date(hour(20)), 20] as const]) {
        it(`reads ${listing} in order from ${index}${after ? ' after a cursor' : ''}, with no sort`, async () => {
          const nodes = await gateway.db.connection().execute(async (connection) => {
            await sql`set enable_seqscan = off`.execute(connection);
            await sql`set enable_bitmapscan = off`.execute(connection);
            try {
              const plan = await listArticlesQuery(connection, anonymousViewer, {
                filter: filter(),
                order: 'newest',
                limit: 5,
                after,
              }).explain('json');
              const root = (plan[0] as { 'QUERY PLAN': [{ Plan: PlanNode }] })['QUERY PLAN'][0].Plan;
              return planNodes(root);
            } finally {
              await sql`reset enable_seqscan`.execute(connection);
              await sql`reset enable_bitmapscan`.execute(connection);
            }
          });
          expect(nodes.map((node) => node['Node Type'])).not.toContain('Sort');
          expect(nodes.map((node) => node['Node Type'])).not.toContain('Incremental Sort');
          expect(nodes.find((node) => node['Index Name'] === index)?.['Node Type']).toMatch(
            /^Index( Only)? Scan$/,
          );
        });
      }
    }
  });

  describe('results', () => {
    async function tagPages(tag: string): Promise<string[]> {
      const slugs: string[] = [];
      let after = null as string | null;
      for (let page = 0; page < 20; page += 1) {
        const { body } = await gateway.graphql<{
          tag: {
            articles: {
              pageInfo: { hasNextPage: boolean; endCursor: string | null };
              nodes: { slug: string }[];
            };
          };
        }>(
          `query ($slug: String!, $after: String) { tag(slug: $slug) { articles(first: 4, after: $after) {
            pageInfo { hasNextPage endCursor } nodes { slug publishedAt } } } }`,
          { variables: { slug: tag, after } },
        );
        expect(body.errors).toBeUndefined();
        const connection = body.data!.tag.articles;
        slugs.push(...connection.nodes.map((node) => node.slug));
        if (!connection.pageInfo.hasNextPage) break;
        after = connection.pageInfo.endCursor;
      }
      return slugs;
    }

    it('lists a tag newest first, ties by newest id, across pages', async () => {
      const expected = Array.from({ length: COUNT }, (_, n) => n)
        .filter((n) => n % 3 === 1)
        .sort((a, b) => {
          const byDate = Date.parse(hour(b % 7 === 0 ? 0 : b)) - Date.parse(hour(a % 7 === 0 ? 0 : a));
          return byDate !== 0 ? byDate : b - a;
        })
        .map((n) => `listing-${n}`);
      expect(await tagPages('tag-1')).toEqual(expected);
    });

    it('follows a changed publication date (the link rows keep the listing key in step)', async () => {
      await ingestArticle(gateway.db, { ...numbered(1), publishedAt: hour(1000) });
      expect((await tagPages('tag-1'))[0]).toBe('listing-1');
      await ingestArticle(gateway.db, numbered(1));
      expect((await tagPages('tag-1')).at(-1)).not.toBe('listing-1');
    });
  });

  // Last: it adds 20,000 rows. With statistics on a set this size the planner picks the index unaided.
  describe('EXPLAIN on 20,000 articles, planner settings untouched', () => {
    beforeAll(async () => {
      const db = gateway.db;
      const [even, odd] = [ids.get('sections:even')!, ids.get('sections:odd')!];
      await sql`insert into tags (slug, name) values ('big-tag', 'Big tag')`.execute(db);
      await sql`insert into articles (slug, headline, section_id, status, published_at, updated_at, language, body, word_count, content_hash)
        select 'bulk-' || n, 'Bulk ' || n, case when n % 10 = 0 then ${even}::integer else ${odd}::integer end, 'published', timestamptz '2020-01-01' + n * interval '1 hour',
          timestamptz '2020-01-01', 'en', '[]', 0, ''
        from generate_series(1, 20000) as n`.execute(db);
      await sql`insert into article_tags (article_id, tag_id, position)
        select a.id, t.id, 0 from articles a, tags t
        where t.slug = 'big-tag' and a.slug like 'bulk-%' and a.id % 10 = 0`.execute(db);
      await sql`analyze`.execute(db);
    });

    it('reads Tag.articles from article_tags_tag_listed_at_idx with no sort', async () => {
      const tag = await gateway.db
        .selectFrom('tags')
        .select('id')
        .where('slug', '=', 'big-tag')
        .executeTakeFirstOrThrow();
      const plan = await listArticlesQuery(gateway.db, anonymousViewer, {
        filter: { tagId: tag.id },
        order: 'newest',
        limit: 20,
        after: undefined,
      }).explain('json');
      const nodes = planNodes((plan[0] as { 'QUERY PLAN': [{ Plan: PlanNode }] })['QUERY PLAN'][0].Plan);
      expect(nodes.map((node) => node['Node Type'])).not.toContain('Sort');
      expect(
        nodes.find((node) => node['Index Name'] === 'article_tags_tag_listed_at_idx')?.['Node Type'],
      ).toMatch(/^Index( Only)? Scan$/);
    });

    it('reads Section.articles from articles_section_listed_at_idx with no sort', async () => {
      const plan = await listArticlesQuery(gateway.db, anonymousViewer, {
        filter: { sectionId: ids.get('sections:even')! },
        order: 'newest',
        limit: 20,
        after: undefined,
      }).explain('json');
      const nodes = planNodes((plan[0] as { 'QUERY PLAN': [{ Plan: PlanNode }] })['QUERY PLAN'][0].Plan);
      expect(nodes.map((node) => node['Node Type'])).not.toContain('Sort');
      expect(
        nodes.find((node) => node['Index Name'] === 'articles_section_listed_at_idx')?.['Node Type'],
      ).toMatch(/^Index( Only)? Scan$/);
    });
  });
});
