import { describe, expect, it } from 'vitest';
import type { ArticleDocument } from '../src/ingest/article-document.ts';
import { ingestArticle } from '../src/ingest/ingest-article.ts';
import { countSearchMatches } from '../src/modules/search/index.ts';
import { editorViewer } from '../src/shared/viewer.ts';
import { describeEachEngine } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { useGateway } from './helpers/use-gateway.ts';

const day = (n: number) => new Date(Date.UTC(2024, 0, 1) + n * 86_400_000).toISOString();
const paragraph = (text: string) => ({ type: 'paragraph' as const, text });

/** An article with only what a test sets: no quotes, people or links of makeArticle's defaults. */
function plain(slug: string, overrides: Partial<ArticleDocument>): ArticleDocument {
  return makeArticle({
    slug,
    headline: 'An unremarkable headline',
    standfirst: undefined,
    tags: [],
    people: [],
    authors: [],
    organizations: [],
    quotes: [],
    relatedLinks: [],
    publishedAt: day(10),
    body: [paragraph('Nothing in particular happened here.')],
    ...overrides,
  });
}

const ARTICLES: ArticleDocument[] = [
  // Ranking: the same word in the headline, standfirst, body, and a tag name; all published the same day.
  plain('zephyr-headline', { headline: 'Zephyr turbines reshape the coast' }),
  plain('zephyr-standfirst', { standfirst: 'A zephyr of change along the coast.' }),
  plain('zephyr-body', { body: [paragraph('Engineers studied the zephyr for a decade.')] }),
  plain('zephyr-tag', { tags: [{ slug: 'zephyr-energy', name: 'Zephyr Energy' }] }),
  // Phrase, OR and exclusion.
  plain('strategic-phrase', { body: [paragraph('They signed a strategic partnership in June.')] }),
  plain('strategic-apart', { body: [paragraph('The partnership was not strategic at all.')] }),
  plain('kimchi', { body: [paragraph('Kimchi exports doubled.')] }),
  plain('bulgogi', { body: [paragraph('Bulgogi restaurants opened.')] }),
  // Accents.
  plain('cafe-accented', { body: [paragraph('The café in São Paulo served crème brûlée.')] }),
  plain('naive-plain', { body: [paragraph('A naive reading of the resume.')] }),
  // Escaping: markup in the text must come back as text.
  plain('script-article', {
    headline: `<script>alert('x')</script> Quartz & Co`,
    standfirst: 'Quartz "prices" <b>rise</b>',
    body: [paragraph('The <img src=x onerror=alert(1)> quartz market & more.')],
  }),
  // Recency: the same text a year apart; and an old headline match against a new body match.
  plain('lantern-old', { publishedAt: day(0), body: [paragraph('A lantern festival.')] }),
  plain('lantern-new', { publishedAt: day(365), body: [paragraph('A lantern festival.')] }),
  plain('lantern-headline-old', { publishedAt: day(0), headline: 'Lantern makers strike' }),
  // Cursors: seven matches with ties in rank and date.
  ...Array.from({ length: 7 }, (_, i) =>
    plain(`harbour-${i}`, {
      publishedAt: day(20 + (i % 3)),
      body: [paragraph(i % 2 === 0 ? 'The harbour harbour reopened.' : 'The harbour reopened.')],
    }),
  ),
  // Not visible: a draft and an embargoed article.
  plain('zephyr-draft', { status: 'draft', headline: 'Zephyr draft' }),
  plain('zephyr-embargoed', { publishedAt: '2099-01-01T00:00:00Z', headline: 'Zephyr embargoed' }),
];

describeEachEngine('search', (engine) => {
  const gateway = useGateway(engine, {
    seed: async ({ handle }) => {
      for (const article of ARTICLES) await ingestArticle(handle.db, article);
    },
  });

  async function search(query: string, extra: Record<string, unknown> = {}) {
    const { body } = await gateway.graphql(
      `query ($query: String!, $first: Int, $after: String, $orderBy: SearchOrder, $filter: ArticleFilter) {
        search(query: $query, first: $first, after: $after, orderBy: $orderBy, filter: $filter) {
          totalCount totalCountIsEstimate
          pageInfo { hasNextPage hasPreviousPage endCursor }
          edges { cursor rank node { slug } highlights { headline standfirst body } } } }`,
      { variables: { query, ...extra } },
    );
    return body;
  }
  async function slugs(query: string, extra: Record<string, unknown> = {}) {
    const body = await search(query, extra);
    expect(body.errors).toBeUndefined();
    return (body.data!.search.edges as { node: { slug: string } }[]).map((edge) => edge.node.slug);
  }

  describe('Query.search', () => {
    it('ranks a headline match over standfirst, body and tag-name matches, in that order', async () => {
      expect(await slugs('zephyr')).toEqual([
        'zephyr-headline',
        'zephyr-standfirst',
        'zephyr-body',
        'zephyr-tag',
      ]);
    });

    it('never returns drafts or embargoed articles to a public caller', async () => {
      const body = await search('zephyr');
      expect(body.data!.search.totalCount).toBe(4);
      const preview = await gateway.graphql(`{ search(query: "zephyr draft") { edges { node { slug } } } }`);
      expect(preview.body.data!.search.edges).toEqual([]);
    });

    it('matches a "quoted phrase" only with its words together and in order', async () => {
      expect(await slugs('"strategic partnership"')).toEqual(['strategic-phrase']);
      expect((await slugs('strategic partnership')).sort()).toEqual(['strategic-apart', 'strategic-phrase']);
    });

    it('matches either side of OR', async () => {
      expect((await slugs('kimchi OR bulgogi')).sort()).toEqual(['bulgogi', 'kimchi']);
    });

    it('leaves out articles with a -excluded word', async () => {
      expect(await slugs('partnership -june')).toEqual(['strategic-apart']);
    });

    it('ignores accents and case on both sides', async () => {
      expect(await slugs('cafe sao paulo')).toEqual(['cafe-accented']);
      expect(await slugs('CRÈME BRULEE')).toEqual(['cafe-accented']);
      expect(await slugs('naïve résumé')).toEqual(['naive-plain']);
    });

    it('stems English words', async () => {
      expect(await slugs('partnerships signing')).toEqual(['strategic-phrase']);
    });

    it('marks matched words and HTML-escapes everything else', async () => {
      const body = await search('quartz');
      expect(body.errors).toBeUndefined();
      const [edge] = body.data!.search.edges as { highlights: Record<string, string> }[];
      expect(edge!.highlights).toEqual({
        headline: '&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; <mark>Quartz</mark> &amp; Co',
        standfirst: '<mark>Quartz</mark> &quot;prices&quot; &lt;b&gt;rise&lt;/b&gt;',
        // Body fragments start at a word boundary of ts_headline's parser, here inside the tag.
        body: expect.stringContaining('alert(1)&gt; <mark>quartz</mark> market &amp; more'),
      });
      expect(edge!.highlights['body']).not.toMatch(/<(?!\/?mark>)/);
    });

    it('gives the same text a mild boost when newer, never enough to beat a headline match', async () => {
      expect(await slugs('lantern')).toEqual(['lantern-headline-old', 'lantern-new', 'lantern-old']);
      const body = await search('lantern');
      const ranks = (body.data!.search.edges as { rank: number }[]).map((edge) => edge.rank);
      expect(ranks[1]! / ranks[2]!).toBeGreaterThan(1);
      expect(ranks[1]! / ranks[2]!).toBeLessThan(1.3);
    });

    for (const orderBy of ['RELEVANCE', 'NEWEST'] as const) {
      it(`pages through every match once, in the one-page order, with ${orderBy} cursors`, async () => {
        const whole = await slugs('harbour', { orderBy, first: 20 });
        expect(whole).toHaveLength(7);
        const paged: string[] = [];
        let after: string | null = null;
        for (let page = 0; page < 10; page += 1) {
          const body = await search('harbour', { orderBy, first: 2, after });
          expect(body.errors).toBeUndefined();
          const connection = body.data!.search;
          paged.push(...(connection.edges as { node: { slug: string } }[]).map((edge) => edge.node.slug));
          expect(connection.pageInfo.hasPreviousPage).toBe(after !== null);
          if (!connection.pageInfo.hasNextPage) break;
          after = connection.pageInfo.endCursor;
        }
        expect(paged).toEqual(whole);
      });
    }

    it('orders NEWEST by publication date, newest first', async () => {
      expect(await slugs('lantern', { orderBy: 'NEWEST' })).toEqual([
        'lantern-new',
        'lantern-headline-old',
        'lantern-old',
      ]);
    });

    it('narrows results with an ArticleFilter', async () => {
      expect(await slugs('lantern', { filter: { publishedAfter: day(100) } })).toEqual(['lantern-new']);
    });

    it('refuses a cursor of the other order', async () => {
      const first = await search('harbour', { orderBy: 'NEWEST', first: 1 });
      const body = await search('harbour', { first: 1, after: first.data!.search.pageInfo.endCursor });
      expect(body.errors![0]!.extensions!['code']).toBe('BAD_USER_INPUT');
      expect(body.errors![0]!.message).toMatch(/not a valid cursor/);
    });

    it('counts exactly up to the cap, then flags an estimate', async () => {
      const db = gateway.db;
      expect(await countSearchMatches(db, editorViewer, 'harbour', {}, 10)).toEqual({
        count: 7,
        estimate: false,
      });
      const capped = await countSearchMatches(db, editorViewer, 'harbour', {}, 3);
      expect(capped.estimate).toBe(true);
      expect(capped.count).toBeGreaterThanOrEqual(4);
    });
  });

  describe('Query.search bad input', () => {
    const cases: [string, string, RegExp][] = [
      ['an empty query', '', /must not be empty/],
      ['a whitespace query', ' \t\n ', /must not be empty/],
      ['a query over 500 characters', 'a'.repeat(501), /at most 500 characters, got 501/],
      ['a query of stop words only', 'the and of', /only stop words/],
      ['a query of punctuation only', '&|!() :*', /only stop words .* or punctuation/],
    ];
    for (const [what, query, message] of cases) {
      it(`returns BAD_USER_INPUT for ${what}`, async () => {
        const body = await search(query);
        expect(body.data).toBeNull();
        expect(body.errors).toHaveLength(1);
        expect(body.errors![0]!.extensions!['code']).toBe('BAD_USER_INPUT');
        expect(body.errors![0]!.extensions!['argumentName']).toBe('query');
        expect(body.errors![0]!.message).toMatch(message);
      });
    }

    it('returns BAD_USER_INPUT for a query holding a NUL byte, before anything runs', async () => {
      const { status, body } = await gateway.graphql(
        `query ($query: String!) { search(query: $query) { totalCount } }`,
        {
          variables: { query: 'zephyr\u0000' },
        },
      );
      expect(status).toBe(400);
      expect(body.errors).toEqual([
        {
          message: 'String arguments must not contain NUL characters (U+0000): found one in variable $query.',
          extensions: { code: 'BAD_USER_INPUT' },
        },
      ]);
    });

    const VISIBLE_ZEPHYRS = ['zephyr-headline', 'zephyr-standfirst', 'zephyr-body', 'zephyr-tag'];
    const hostile = [
      `zephyr's "turbines`,
      'zephyr \\ back\\slash',
      'zephyr:*',
      'zephyr & | ! ( )',
      "zephyr'; drop table articles; --",
      'zephyr) OR (1=1',
      'zephyr 🌬️ 😀',
      'zephyr <-> !!',
    ];
    for (const query of hostile) {
      it(`treats ${JSON.stringify(query)} as text, not syntax`, async () => {
        const body = await search(query);
        expect(body.errors).toBeUndefined();
        // What it finds is at most the visible zephyr articles: no syntax widened or broke the match.
        const found = (body.data!.search.edges as { node: { slug: string } }[]).map((edge) => edge.node.slug);
        expect(found.filter((slug) => !VISIBLE_ZEPHYRS.includes(slug))).toEqual([]);
        expect(body.data!.search.totalCount).toBe(found.length);
      });
    }

    it('accepts a query of exactly 500 characters', async () => {
      const query = `zephyr ${'x'.repeat(493)}`;
      expect([...query]).toHaveLength(500);
      const body = await search(query);
      expect(body.errors).toBeUndefined();
      expect(body.data!.search.totalCount).toBe(0);
    });

    it('counts characters, not UTF-16 units, against the 500 limit', async () => {
      const body = await search(`zephyr ${'😀'.repeat(493)}`);
      expect(body.errors).toBeUndefined();
      expect(body.data!.search.totalCount).toBe(4);
    });

    it('still finds the article when the query carries operators', async () => {
      expect(await slugs('zephyr:* &|!()')).toContain('zephyr-headline');
    });
  });
});
