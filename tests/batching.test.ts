import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestArticle } from '../src/ingest/ingest-article.ts';
import { describeEachEngine, type TestDatabase } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

const PAGE_WITH_EVERYTHING = `
  query Page($first: Int!) {
    articles(first: $first) {
      nodes {
        headline
        section { name }
        tags { name }
        authors { name }
        leadImage { url caption }
        quotes { text speaker { ... on Person { name } ... on Organization { name } } }
        relatedLinks { title target { headline } }
      }
    }
  }`;

describeEachEngine('batched loading', (engine) => {
  let database: TestDatabase;
  let gateway: TestGateway;
  beforeAll(async () => {
    database = await engine.open();
    // 60 articles, each linking to the one two before it (outside the page fetched), with distinct people.
    for (let i = 0; i < 60; i++) {
      await ingestArticle(
        database.handle.db,
        makeArticle({
          slug: `batch-${i}`,
          section: { slug: `section-${i % 7}`, name: `Section ${i % 7}` },
          tags: [
            { slug: `tag-${i % 11}`, name: `Tag ${i % 11}` },
            { slug: `tag-${(i + 1) % 11}`, name: `Tag ${(i + 1) % 11}` },
          ],
          authors: [{ slug: `author-${i % 5}`, name: `Author ${i % 5}` }],
          people: [{ slug: `person-${i}`, name: `Person ${i}` }],
          organizations: [{ slug: `org-${i % 3}`, name: `Org ${i % 3}` }],
          quotes: [
            { key: 'a', text: `Said by person ${i}.`, speaker: { person: `person-${i}` } },
            { key: 'b', text: `Said by org ${i % 3}.`, speaker: { organization: `org-${i % 3}` } },
            { key: 'c', text: 'Said by someone.', speaker: { name: 'someone' } },
          ],
          relatedLinks: [
            i > 1
              ? { key: 'l', title: `Earlier ${i - 2}`, article: `batch-${i - 2}` }
              : { key: 'l', title: 'Elsewhere', url: 'https://example.org/' },
          ],
          body: [
            { type: 'paragraph', text: 'One.', quotes: ['a', 'b'] },
            { type: 'quote', quote: 'c' },
            { type: 'relatedLink', link: 'l' },
          ],
        }),
      );
    }
    gateway = await startTestGateway(database);
  });
  afterAll(async () => {
    await gateway?.close();
    await database?.drop();
  });

  it('runs the same ten statements for 5 articles as for 50, with everything nested resolved', async () => {
    const statements: number[] = [];
    for (const first of [5, 50]) {
      const { body } = await gateway.graphql(PAGE_WITH_EVERYTHING, { variables: { first } });
      expect(body.errors).toBeUndefined();
      const nodes = body.data!.articles.nodes as any[];
      expect(nodes).toHaveLength(first);
      for (const node of nodes) {
        expect(node.section.name).toMatch(/^Section \d$/);
        expect(node.tags).toHaveLength(2);
        expect(node.authors).toHaveLength(1);
        expect(node.leadImage.url).toMatch(/^https:\/\/media\.example\//);
        expect(node.quotes.map((q: any) => q.speaker?.name ?? null)).toEqual([
          expect.stringMatching(/^Person \d+$/),
          expect.stringMatching(/^Org \d$/),
          null,
        ]);
        expect(node.relatedLinks[0].target?.headline ?? null).toEqual(
          node.relatedLinks[0].title === 'Elsewhere' ? null : expect.any(String),
        );
      }
      statements.push((body.extensions!['sql'] as { statements: number }).statements);
    }
    // articles, sections, tags, authors, images, quotes, speaking people, speaking organizations,
    // related links, link targets: one statement each, whatever the page size.
    expect(statements).toEqual([10, 10]);
  });
});
