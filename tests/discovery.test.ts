import { describe, expect, it } from 'vitest';
import type { ArticleDocument } from '../src/ingest/article-document.ts';
import { ingestArticle } from '../src/ingest/ingest-article.ts';
import { describeEachEngine } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { useGateway } from './helpers/use-gateway.ts';

const day = (n: number) => new Date(Date.UTC(2024, 0, 1) + n * 86_400_000).toISOString();

type Person = NonNullable<ArticleDocument['people']>[number];
const WILMER: Person = {
  slug: 'wilmer-oakhurst',
  name: 'Wilmer Oakhurst',
  honorific: 'Dr.',
  aliases: ['Wilmer T. Oakhurst III'],
};
const WILLIAM: Person = { slug: 'william-wilson', name: 'William Wilson' };
const JOSE: Person = { slug: 'jose-alvarez', name: 'José Álvarez' };
const KIM_ONCE: Person = { slug: 'kim-lee-1', name: 'Kim Lee' };
const KIM_TWICE: Person = { slug: 'kim-lee-2', name: 'Kim Lee' };
const GERALD: Person = { slug: 'gideon-marsh', name: 'Gideon Marsh' };
const HANA: Person = { slug: 'hana-park', name: 'Hana Park' };
const KOREA = { slug: 'korean-peninsula', name: 'Korean Peninsula' };
const JAPAN = { slug: 'japan', name: 'Japan' };

type Said = {
  key: string;
  text: string;
  by: { person: string } | { organization: string };
  context?: string;
};

/** An article with only what a test gives it; each quote gets a paragraph of its own. */
function article(slug: string, options: Partial<ArticleDocument> & { said?: Said[] } = {}): ArticleDocument {
  const { said = [], ...overrides } = options;
  return makeArticle({
    slug,
    headline: 'An unremarkable headline',
    standfirst: undefined,
    tags: [],
    people: [],
    authors: [],
    organizations: [],
    relatedLinks: [],
    publishedAt: day(10),
    quotes: said.map(({ key, text, by, context }) => ({
      key,
      text,
      speaker: by,
      ...(context ? { context } : {}),
    })),
    body: [
      { type: 'paragraph', text: 'Something happened.' },
      ...said.map((quote) => ({ type: 'paragraph' as const, text: `“${quote.text}”`, quotes: [quote.key] })),
    ],
    ...overrides,
  });
}

const ARTICLES: ArticleDocument[] = [
  article('people-one', {
    publishedAt: day(5),
    people: [WILMER, WILLIAM],
    said: [
      {
        key: 'press',
        text: 'We will never accept negative press about the harbour.',
        by: { person: 'wilmer-oakhurst' },
        context: 'on the radio',
      },
      {
        key: 'markup',
        text: 'Use <script>alert(1)</script> & the harbour script.',
        by: { person: 'william-wilson' },
      },
    ],
  }),
  article('people-two', { people: [JOSE, KIM_ONCE] }),
  article('people-three', { people: [KIM_TWICE, WILLIAM] }),
  article('people-four', { people: [KIM_TWICE] }),
  article('quotes-draft', {
    status: 'draft',
    people: [WILMER],
    said: [
      { key: 'secret', text: 'Negative press is secret harbour talk.', by: { person: 'wilmer-oakhurst' } },
    ],
  }),
  // Related stories.
  article('rel-main', {
    people: [HANA],
    tags: [KOREA],
    relatedLinks: [{ key: 'l1', title: 'Curated', article: 'rel-curated' }],
    body: [
      { type: 'paragraph', text: 'Main.' },
      { type: 'relatedLink', link: 'l1' },
    ],
  }),
  article('rel-curated'),
  article('rel-person', { people: [HANA], publishedAt: day(11) }),
  article('rel-tag', { tags: [KOREA] }),
  article('rel-both', { people: [HANA], tags: [KOREA] }),
  article('rel-draft', { status: 'draft', people: [HANA], tags: [KOREA] }),
  article('rel-none', { tags: [JAPAN] }),
  // Quoted together.
  article('qw-1', {
    tags: [KOREA],
    people: [GERALD, WILMER],
    organizations: [{ slug: 'acme-ministry', name: 'Acme Ministry' }],
    said: [
      { key: 'a', text: 'One.', by: { person: 'gideon-marsh' } },
      { key: 'b', text: 'Two.', by: { person: 'wilmer-oakhurst' } },
      { key: 'c', text: 'Three.', by: { organization: 'acme-ministry' } },
    ],
  }),
  article('qw-2', {
    tags: [KOREA, JAPAN],
    people: [GERALD, WILMER],
    said: [
      { key: 'a', text: 'Four.', by: { person: 'gideon-marsh' } },
      { key: 'b', text: 'Five.', by: { person: 'wilmer-oakhurst' } },
      { key: 'c', text: 'Six.', by: { person: 'wilmer-oakhurst' } },
    ],
  }),
  article('qw-3', {
    tags: [KOREA],
    people: [GERALD],
    said: [{ key: 'a', text: 'Seven.', by: { person: 'gideon-marsh' } }],
  }),
  article('qw-draft', {
    status: 'draft',
    tags: [JAPAN],
    people: [GERALD, { slug: 'secret-source', name: 'Secret Source' }],
    said: [
      { key: 'a', text: 'Eight.', by: { person: 'gideon-marsh' } },
      { key: 'b', text: 'Nine.', by: { person: 'secret-source' } },
    ],
  }),
];

describeEachEngine('discovery', (engine) => {
  const gateway = useGateway(engine, {
    seed: async ({ handle }) => {
      for (const document of ARTICLES) await ingestArticle(handle.db, document);
    },
  });

  async function people(query: string | null, extra: Record<string, unknown> = {}) {
    const { body } = await gateway.graphql(
      `query ($query: String, $first: Int, $after: String) { people(query: $query, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { slug } } }`,
      { variables: { query, ...extra } },
    );
    return body;
  }
  async function peopleSlugs(query: string | null) {
    const body = await people(query);
    expect(body.errors).toBeUndefined();
    return (body.data!.people.nodes as { slug: string }[]).map((node) => node.slug);
  }

  describe('Query.people(query)', () => {
    it('finds people by the start of their name', async () => {
      expect((await peopleSlugs('wil')).slice(0, 2).sort()).toEqual(['william-wilson', 'wilmer-oakhurst']);
    });

    it('finds people by the start of any word of their name', async () => {
      expect(await peopleSlugs('oak')).toEqual(['wilmer-oakhurst']);
      expect(await peopleSlugs('alv')).toEqual(['jose-alvarez']);
    });

    it('finds people by a part inside their name', async () => {
      expect(await peopleSlugs('lmer')).toEqual(['wilmer-oakhurst']);
      expect(await peopleSlugs('ilso')).toEqual(['william-wilson']);
    });

    it('folds case and accents, on the query and on the name', async () => {
      expect((await peopleSlugs('WILMER'))[0]).toBe('wilmer-oakhurst');
      expect((await peopleSlugs('Wílmer'))[0]).toBe('wilmer-oakhurst');
      expect(await peopleSlugs('JOSE ALVAREZ')).toEqual(['jose-alvarez']);
    });

    it('ignores honorifics', async () => {
      expect((await peopleSlugs('Dr. Wilmer Oakhurst'))[0]).toBe('wilmer-oakhurst');
      expect((await peopleSlugs('dr wilmer'))[0]).toBe('wilmer-oakhurst');
    });

    it('matches aliases', async () => {
      expect(await peopleSlugs('oakhurst iii')).toEqual(['wilmer-oakhurst']);
    });

    it('forgives a typo by trigram similarity', async () => {
      expect((await peopleSlugs('Wilmar Oakhurst'))[0]).toBe('wilmer-oakhurst');
    });

    it('ranks equally close people by how often they appear', async () => {
      expect(await peopleSlugs('kim lee')).toEqual(['kim-lee-2', 'kim-lee-1']);
    });

    it('ranks a whole-name match before a prefix match', async () => {
      const body = await people('william wilson');
      expect((body.data!.people.nodes as { slug: string }[])[0]!.slug).toBe('william-wilson');
    });

    it('pages through ranked matches with cursors', async () => {
      const first = await people('kim lee', { first: 1 });
      expect(first.data!.people.totalCount).toBe(2);
      expect(first.data!.people.pageInfo.hasNextPage).toBe(true);
      const second = await people('kim lee', { first: 1, after: first.data!.people.pageInfo.endCursor });
      expect(second.errors).toBeUndefined();
      expect(second.data!.people.nodes).toEqual([{ slug: 'kim-lee-1' }]);
      expect(second.data!.people.pageInfo.hasNextPage).toBe(false);
    });

    it('returns nobody for a name no one has', async () => {
      expect(await peopleSlugs('zyxw')).toEqual([]);
    });

    it('lists everyone by name without a query', async () => {
      const everyone = await peopleSlugs(null);
      expect(everyone).toContain('wilmer-oakhurst');
      expect(everyone).toHaveLength(8);
    });

    for (const [what, query, message] of [
      ['an empty query', '', /must not be empty/],
      ['a query of punctuation', '!!! ...', /at least one letter or digit/],
      ['a query over 500 characters', 'w'.repeat(501), /at most 500 characters/],
      ['a NUL byte', 'wil\u0000', /NUL/],
    ] as const) {
      it(`returns BAD_USER_INPUT for ${what}`, async () => {
        const body = await people(query);
        expect(body.errors![0]!.extensions!['code']).toBe('BAD_USER_INPUT');
        expect(body.errors![0]!.message).toMatch(message);
      });
    }

    it('treats SQL and LIKE wildcards as text', async () => {
      for (const query of ["wil%' or 1=1 --", 'wil_', '\\wil']) {
        const body = await people(query);
        expect(body.errors).toBeUndefined();
      }
      expect(await peopleSlugs('wil%')).toEqual(await peopleSlugs('wil'));
    });
  });

  async function quotes(filter: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const { body } = await gateway.graphql(
      `query ($filter: QuoteFilter, $first: Int, $after: String) { quotes(filter: $filter, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { cursor rank highlights { text context } node { text speakerName article { slug } } } } }`,
      { variables: { filter, ...extra } },
    );
    return body;
  }

  describe('Query.quotes(filter: { query })', () => {
    it('finds a quote by its words, ranked, with the matched words marked', async () => {
      const body = await quotes({ query: 'negative press' });
      expect(body.errors).toBeUndefined();
      const [edge, ...rest] = body.data!.quotes.edges;
      expect(rest).toEqual([]);
      expect(edge.node.speakerName).toBe('Wilmer Oakhurst');
      expect(edge.rank).toBeGreaterThan(0);
      expect(edge.highlights).toEqual({
        text: 'We will never accept <mark>negative</mark> <mark>press</mark> about the harbour.',
        context: 'on the radio',
      });
    });

    it('searches the context too', async () => {
      const body = await quotes({ query: 'radio' });
      expect(
        (body.data!.quotes.edges as { highlights: { context: string } }[]).map(
          (edge) => edge.highlights.context,
        ),
      ).toEqual(['on the <mark>radio</mark>']);
    });

    it('escapes markup in quote highlights', async () => {
      const body = await quotes({ query: 'script' });
      expect(body.data!.quotes.edges[0].highlights.text).toBe(
        // The parser reads "/script" as a path, not a word, so that one is not marked.
        'Use &lt;<mark>script</mark>&gt;alert(1)&lt;/script&gt; &amp; the harbour <mark>script</mark>.',
      );
    });

    it('narrows by the date of the article with saidAfter and saidBefore', async () => {
      const after = await quotes({ query: 'harbour', saidAfter: day(6) });
      expect(after.data!.quotes.edges).toEqual([]);
      const before = await quotes({ query: 'harbour', saidBefore: day(6) });
      expect(before.data!.quotes.totalCount).toBe(2);
      const undated = await quotes({ saidAfter: day(6), speaker: 'wilmer-oakhurst' });
      expect(
        (undated.data!.quotes.edges as { node: { article: { slug: string } } }[]).map(
          (edge) => edge.node.article.slug,
        ),
      ).toEqual(['qw-2', 'qw-2', 'qw-1']);
    });

    it('pages a ranked quote search with stable cursors', async () => {
      const first = await quotes({ query: 'harbour' }, { first: 1 });
      const second = await quotes(
        { query: 'harbour' },
        { first: 1, after: first.data!.quotes.pageInfo.endCursor },
      );
      const both = await quotes({ query: 'harbour' }, { first: 2 });
      expect(second.errors).toBeUndefined();
      expect([first, second].map((page) => page.data!.quotes.edges[0].node.text)).toEqual(
        (both.data!.quotes.edges as { node: { text: string } }[]).map((edge) => edge.node.text),
      );
      expect(second.data!.quotes.pageInfo.hasNextPage).toBe(false);
    });

    it('never finds quotes of a draft', async () => {
      const body = await quotes({ query: 'secret' });
      expect(body.data!.quotes.totalCount).toBe(0);
    });

    it('has no rank or highlights without a query', async () => {
      const body = await quotes({ speaker: 'wilmer-oakhurst' }, { first: 1 });
      expect(body.data!.quotes.edges[0]).toMatchObject({ rank: null, highlights: null });
    });

    it('returns BAD_USER_INPUT naming filter.query for a query of stop words', async () => {
      const body = await quotes({ query: 'the of' });
      expect(body.errors![0]!.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        argumentName: 'filter.query',
      });
    });
  });

  describe('Article.relatedArticles', () => {
    async function related(slug: string, first?: number) {
      const { body } = await gateway.graphql(
        `query ($slug: String!, $first: Int) { article(slug: $slug) { relatedArticles(first: $first) {
          score reasons article { slug } } } }`,
        { variables: { slug, first } },
      );
      return body;
    }

    it('puts curated links first, then shared people and tags by score, with reasons', async () => {
      const body = await related('rel-main', 10);
      expect(body.errors).toBeUndefined();
      expect(body.data!.article.relatedArticles).toEqual([
        { article: { slug: 'rel-curated' }, score: 10, reasons: ['curated link'] },
        {
          article: { slug: 'rel-both' },
          score: 5,
          reasons: ['shares Hana Park', 'same tag: Korean Peninsula'],
        },
        { article: { slug: 'rel-person' }, score: 3, reasons: ['shares Hana Park'] },
        // The qw-* articles share the tag too: equal scores, then newest first, then by id.
        ...body.data!.article.relatedArticles.slice(3),
      ]);
      const rest = body.data!.article.relatedArticles.slice(3) as { article: { slug: string } }[];
      expect(rest.map((entry) => entry.article.slug).sort()).toEqual(['qw-1', 'qw-2', 'qw-3', 'rel-tag']);
      expect(rest).toEqual(
        rest.map((entry) => ({ ...entry, score: 2, reasons: ['same tag: Korean Peninsula'] })),
      );
    });

    it('never includes the article itself, drafts, or unrelated articles', async () => {
      const body = await related('rel-main', 100);
      const slugs = (body.data!.article.relatedArticles as { article: { slug: string } }[]).map(
        (r) => r.article.slug,
      );
      expect(slugs).not.toContain('rel-main');
      expect(slugs).not.toContain('rel-draft');
      expect(slugs).not.toContain('rel-none');
    });

    it('is fetched for a whole page of articles in one statement', async () => {
      const statements = async (first: number) => {
        const { body } = await gateway.graphql(
          `query ($first: Int) { articles(first: $first) { nodes { relatedArticles(first: 2) { reasons } } } }`,
          { variables: { first } },
        );
        expect(body.errors).toBeUndefined();
        expect(body.data!.articles.nodes).toHaveLength(first);
        return (body.extensions!['sql'] as { statements: number }).statements;
      };
      // The page, the related lists of all eight, the related articles not already loaded.
      expect(await statements(8)).toBeLessThanOrEqual(3);
    });

    it('returns five by default and honours first', async () => {
      expect((await related('rel-main')).data!.article.relatedArticles).toHaveLength(5);
      expect((await related('rel-main', 2)).data!.article.relatedArticles).toHaveLength(2);
      expect((await related('rel-main', 0)).data!.article.relatedArticles).toEqual([]);
      const tooMany = await related('rel-main', 101);
      expect(tooMany.errors![0]!.extensions!['code']).toBe('BAD_USER_INPUT');
    });
  });

  describe('Person.quotedWith and Person.topics', () => {
    it('lists who is quoted in the same visible articles, with counts', async () => {
      const { body } = await gateway.graphql(`{ person(slug: "gideon-marsh") {
        quotedWith { articleCount quoteCount speaker { __typename ... on Person { slug } ... on Organization { slug } } }
        topics { articleCount tag { slug } } } }`);
      expect(body.errors).toBeUndefined();
      expect(body.data!.person.quotedWith).toEqual([
        { articleCount: 2, quoteCount: 3, speaker: { __typename: 'Person', slug: 'wilmer-oakhurst' } },
        { articleCount: 1, quoteCount: 1, speaker: { __typename: 'Organization', slug: 'acme-ministry' } },
      ]);
      expect(body.data!.person.topics).toEqual([
        { articleCount: 3, tag: { slug: 'korean-peninsula' } },
        { articleCount: 1, tag: { slug: 'japan' } },
      ]);
    });

    it('are fetched for a whole page of people in one statement each', async () => {
      const statements = async (first: number) => {
        const { body } = await gateway.graphql(
          `query ($first: Int) { people(first: $first) { nodes { quotedWith { articleCount } topics { articleCount } } } }`,
          { variables: { first } },
        );
        expect(body.errors).toBeUndefined();
        return (body.extensions!['sql'] as { statements: number }).statements;
      };
      // The page, quotedWith and topics of all eight, then speakers (people, organizations) and tags.
      expect(await statements(8)).toBeLessThanOrEqual(6);
    });

    it('honours first', async () => {
      const { body } = await gateway.graphql(
        `{ person(slug: "gideon-marsh") { quotedWith(first: 1) { articleCount } topics(first: 1) { articleCount } } }`,
      );
      expect(body.data!.person).toEqual({ quotedWith: [{ articleCount: 2 }], topics: [{ articleCount: 3 }] });
    });
  });
});
