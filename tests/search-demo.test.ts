import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine, type TestDatabase } from './helpers/engines.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

const REFERENCE = 'russia-north-korea-pact-major-loss-for-us-allies';

describeEachEngine('search on the demo content', (engine) => {
  let database: TestDatabase;
  let gateway: TestGateway;
  beforeAll(async () => {
    database = await engine.open();
    gateway = await startTestGateway(database, { demo: true });
  });
  afterAll(async () => {
    await gateway?.close();
    await database?.drop();
  });

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
  });
});
