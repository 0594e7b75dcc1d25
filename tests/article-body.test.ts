import { describe, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.ts';
import { statementsOf } from './helpers/sql-statements.ts';
import { useGateway } from './helpers/use-gateway.ts';

describeEachEngine('Article.body', (engine) => {
  const gateway = useGateway(engine, { demo: true });

  const BODY = 'body { __typename ... on ParagraphBlock { text } ... on ImageBlock { image { url } } }';
  type Body = { __typename: string }[];

  describe('of articles from a list (rows fetched without their bodies)', () => {
    it('is the same as the article’s own body, loaded for the whole page in one statement', async () => {
      const list = await gateway.graphql(`{ articles(first: 5) { nodes { slug ${BODY} } } }`);
      const withoutBody = await gateway.graphql(`{ articles(first: 5) { nodes { slug } } }`);
      const nodes = (list.body.data as { articles: { nodes: { slug: string; body: Body }[] } }).articles
        .nodes;
      expect(nodes).toHaveLength(5);
      for (const node of nodes) {
        const single = await gateway.graphql(`query ($slug: String!) { article(slug: $slug) { ${BODY} } }`, {
          variables: { slug: node.slug },
        });
        const own = (single.body.data as { article: { body: Body } }).article.body;
        expect(own.length).toBeGreaterThan(0);
        expect(node.body).toEqual(own);
      }
      // The page's bodies, one statement (plus the body images, one more): not one per article.
      expect(statementsOf(list) - statementsOf(withoutBody)).toBeLessThanOrEqual(2);
    });
  });
});
