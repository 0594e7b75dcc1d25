import { describe, expect, it } from 'vitest';
import { searchArticles } from '../src/modules/search/index.ts';
import { editorViewer } from '../src/shared/viewer.ts';
import { describeEachEngine } from './helpers/engines.ts';
import { useGateway } from './helpers/use-gateway.ts';

const REFERENCE = 'russia-north-korea-pact-major-loss-for-us-allies';

describeEachEngine('search on the demo content', (engine) => {
  const gateway = useGateway(engine, { demo: true });

  describe('Query.search', () => {
    it('finds the reference article first for "comprehensive strategic partnership", with a highlight', async () => {
      const { body } = await gateway.graphql(
        `query ($q: String!) { search(query: $q) { totalCount totalCountIsEstimate
          edges { rank node { slug } highlights { headline standfirst body } } } }`,
        { variables: { q: 'comprehensive strategic partnership' } },
      );
      expect(body.errors).toBeUndefined();
      const edges = body.data!.search.edges as {
        rank: number;
        node: { slug: string };
        highlights: { body: string | null };
      }[];
      expect(edges[0]!.node.slug).toBe(REFERENCE);
      expect(edges[0]!.rank).toBeGreaterThan(0);
      expect(edges[0]!.highlights.body).toMatch(
        /<mark>comprehensive<\/mark> <mark>strategic<\/mark> <mark>partnership<\/mark>/i,
      );
      expect(body.data!.search.totalCount).toBe(edges.length);
      expect(body.data!.search.totalCountIsEstimate).toBe(false);
    });

    it('never finds the draft or the embargoed demo article', async () => {
      const { body } = await gateway.graphql(
        `{ search(query: "sanctions OR \\"where the korean peninsula goes next\\"", first: 100) { edges { node { slug } } } }`,
      );
      expect(body.errors).toBeUndefined();
      const slugs = (body.data!.search.edges as { node: { slug: string } }[]).map((edge) => edge.node.slug);
      expect(slugs).not.toContain('draft-seoul-weighs-new-sanctions');
      expect(slugs).not.toContain('after-the-pact-where-the-korean-peninsula-goes-next');
      // With every right, the same search does reach them: the rule above is what hid them.
      const db = gateway.db;
      const hits = await searchArticles(db, editorViewer, {
        text: 'sanctions OR "where the korean peninsula goes next"',
        filter: {},
        order: 'relevance',
        limit: 100,
        asOf: new Date(),
        after: undefined,
      });
      const found = await db
        .selectFrom('articles')
        .select('slug')
        .where(
          'id',
          'in',
          hits.map((hit) => hit.id),
        )
        .execute();
      expect(found.map((row) => row.slug)).toEqual(
        expect.arrayContaining([
          'draft-seoul-weighs-new-sanctions',
          'after-the-pact-where-the-korean-peninsula-goes-next',
        ]),
      );
    });
  });

  describe('Query.quotes(filter: { query })', () => {
    it('finds the co-host\'s quote for "negative press", highlighted', async () => {
      const { body } = await gateway.graphql(
        `{ quotes(filter: { query: "negative press" }) { edges { rank highlights { text }
          node { speakerName speaker { ... on Person { slug } } article { slug } } } } }`,
      );
      expect(body.errors).toBeUndefined();
      const [edge] = body.data!.quotes.edges;
      expect(edge.node).toEqual({
        speakerName: 'Wilmer Leon',
        speaker: { slug: 'wilmer-leon' },
        article: { slug: REFERENCE },
      });
      expect(edge.highlights.text).toContain('all the <mark>negative</mark> <mark>press</mark> Trump got');
    });
  });

  describe('Query.people(query)', () => {
    it('finds Wilmer Leon for "leon", "WILMER" and "Dr. Wílmer León"', async () => {
      for (const query of ['leon', 'WILMER', 'Dr. Wílmer León']) {
        const { body } = await gateway.graphql(
          `query ($q: String) { people(query: $q) { nodes { slug } } }`,
          {
            variables: { q: query },
          },
        );
        expect(body.errors).toBeUndefined();
        expect(body.data!.people.nodes[0]).toEqual({ slug: 'wilmer-leon' });
      }
    });
  });

  describe('Article.relatedArticles', () => {
    it('starts with the curated links of the reference article, each with its reasons', async () => {
      const { body } = await gateway.graphql(
        `{ article(slug: "${REFERENCE}") { relatedArticles { score reasons article { slug } } } }`,
      );
      expect(body.errors).toBeUndefined();
      const related = body.data!.article.relatedArticles as {
        score: number;
        reasons: string[];
        article: { slug: string };
      }[];
      expect(related.slice(0, 2).map((entry) => entry.article.slug)).toEqual([
        'understanding-north-koreas-modest-nuclear-stockpile',
        'us-aircraft-carrier-docks-in-south-korea',
      ]);
      expect(related[0]!.reasons).toEqual(
        expect.arrayContaining(['curated link', 'shares Vladimir Putin', 'same tag: Korean Peninsula']),
      );
      const slugs = related.map((entry) => entry.article.slug);
      expect(slugs).not.toContain(REFERENCE);
      expect(slugs).not.toContain('after-the-pact-where-the-korean-peninsula-goes-next');
      expect(slugs).not.toContain('draft-seoul-weighs-new-sanctions');
    });
  });
});
