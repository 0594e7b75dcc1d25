import { describe, expect, it } from 'vitest';
import { toGlobalId } from '../src/shared/global-id.ts';
import { describeEachEngine } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { TEST_PUBLIC_URL } from './helpers/gateway.ts';
import { useGateway } from './helpers/use-gateway.ts';

const REFERENCE = 'russia-north-korea-pact-major-loss-for-us-allies';
const LEAKS = /select |insert |from "|articles\.|pg_|at .*\.ts:\d+|stack/i;

describeEachEngine('the GraphQL API', (engine) => {
  const tiedSlugs = ['tie-a', 'tie-b', 'tie-c', 'tie-d'];
  const api = useGateway(engine, {
    demo: true,
    // Four articles published at the same instant, in their own section: ordering ties.
    articles: tiedSlugs.map((slug) =>
      makeArticle({
        slug,
        url: `https://own.example/${slug}`,
        publishedAt: '2020-01-01T00:00:00Z',
        section: { slug: 'ties', name: 'Ties' },
      }),
    ),
  });

  async function ok(query: string, variables?: Record<string, unknown>) {
    const { status, body } = await api.graphql(query, variables ? { variables } : {});
    expect(body.errors).toBeUndefined();
    expect(status).toBe(200);
    return body.data as Record<string, any>;
  }

  async function badInput(query: string, variables: Record<string, unknown> = {}) {
    const { body } = await api.graphql(query, { variables });
    expect(body.errors).toHaveLength(1);
    const [error] = body.errors!;
    expect(error!.message).not.toMatch(LEAKS);
    expect(error!.extensions?.['code']).toBe('BAD_USER_INPUT');
    return error!.message;
  }

  describe('Query.article', () => {
    it('finds an article by slug, by id and by either kind of URL', async () => {
      const { article } = await ok(`{ article(slug: "${REFERENCE}") { id url headline } }`);
      expect(article.url).toBe(`${TEST_PUBLIC_URL}/articles/${REFERENCE}`);
      expect(
        (await ok(`query ($id: ID!) { article(id: $id) { headline } }`, { id: article.id })).article.headline,
      ).toBe(article.headline);
      expect(
        (await ok(`query ($url: URL!) { article(url: $url) { id } }`, { url: article.url })).article.id,
      ).toBe(article.id);
      expect((await ok(`{ article(url: "https://own.example/tie-b") { slug url } }`)).article).toEqual({
        slug: 'tie-b',
        url: 'https://own.example/tie-b',
      });
    });

    it('returns null for an unknown slug, URL or id', async () => {
      expect(await ok(`{ article(slug: "no-such-article") { id } }`)).toEqual({ article: null });
      expect(await ok(`{ article(url: "https://own.example/none") { id } }`)).toEqual({ article: null });
      expect(await ok(`{ article(id: "${toGlobalId('Article', 999_999)}") { id } }`)).toEqual({
        article: null,
      });
      // A well-formed ID of another type names no article.
      expect(await ok(`{ article(id: "${toGlobalId('Person', 1)}") { id } }`)).toEqual({ article: null });
    });

    it('rejects a malformed id, naming the argument', async () => {
      expect(await badInput(`{ article(id: "not an id") { id } }`)).toBe(
        'Argument "id" is not a valid ID: expected an opaque ID returned by this API, got "not an id"',
      );
      expect(
        await badInput(`{ article(id: "${Buffer.from('Article:abc').toString('base64url')}") { id } }`),
      ).toMatch(/^Argument "id" is not a valid ID/);
    });

    it('takes exactly one of id, slug or url', async () => {
      expect(await badInput(`{ article { id } }`)).toBe(
        'Query.article takes exactly one of "id", "slug" or "url", got none',
      );
      expect(await badInput(`{ article(slug: "a", url: "https://a.example/") { id } }`)).toBe(
        'Query.article takes exactly one of "id", "slug" or "url", got "slug" and "url"',
      );
    });
  });

  describe('Query.articles', () => {
    it('lists published articles newest first with a total count', async () => {
      const { articles } = await ok(`{ articles(first: 100) { totalCount nodes { slug publishedAt } } }`);
      const dates = articles.nodes.map((n: any) => Date.parse(n.publishedAt));
      expect(dates).toEqual([...dates].sort((a, b) => b - a));
      expect(articles.totalCount).toBe(articles.nodes.length);
      expect(articles.nodes.map((n: any) => n.slug)).toContain(REFERENCE);
    });

    it('filters by section, tag, person and publication window', async () => {
      const slugs = async (filter: string) =>
        (await ok(`{ articles(filter: ${filter}) { totalCount nodes { slug } } }`)).articles.nodes.map(
          (n: any) => n.slug,
        );
      expect(await slugs('{ section: "ties" }')).toEqual(['tie-d', 'tie-c', 'tie-b', 'tie-a']);
      expect(await slugs('{ section: "analysis", tag: "japan" }')).toContain(REFERENCE);
      expect(await slugs('{ tag: "no-such-tag" }')).toEqual([]);
      const putin = await slugs('{ person: "vladimir-putin" }');
      expect(putin).toContain(REFERENCE);
      expect(putin.length).toBeGreaterThan(2);
      expect(
        await slugs('{ publishedAfter: "2024-06-22T00:00:00Z", publishedBefore: "2024-06-22T00:00:01Z" }'),
      ).toEqual([REFERENCE]);
    });

    it('orders oldest first when asked', async () => {
      const { articles } = await ok(`{ articles(orderBy: OLDEST, first: 2) { nodes { slug } } }`);
      expect(articles.nodes.map((n: any) => n.slug)).toEqual(['tie-a', 'tie-b']);
    });

    it('refuses a page size out of range instead of clamping it', async () => {
      expect(await badInput(`{ articles(first: 101) { totalCount } }`)).toBe(
        'Argument "first" must be between 0 and 100, got 101',
      );
      expect(await badInput(`{ articles(first: -1) { totalCount } }`)).toBe(
        'Argument "first" must be between 0 and 100, got -1',
      );
      const { articles } = await ok(
        `{ articles(first: 0) { nodes { id } pageInfo { hasNextPage endCursor } } }`,
      );
      expect(articles).toEqual({ nodes: [], pageInfo: { hasNextPage: true, endCursor: null } });
    });
  });

  describe('connections', () => {
    it('walks every page by cursor and meets the same list as one big page, ties broken stably', async () => {
      const all = (await ok(`{ articles(first: 100) { edges { cursor node { slug } } } }`)).articles.edges;
      const walked: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const { articles }: any = await ok(
          `query ($after: String) { articles(first: 3, after: $after) { edges { node { slug } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
          { after },
        );
        pages += 1;
        expect(articles.pageInfo.hasPreviousPage).toBe(after !== null);
        walked.push(...articles.edges.map((e: any) => e.node.slug));
        if (!articles.pageInfo.hasNextPage) break;
        after = articles.pageInfo.endCursor;
      }
      expect(walked).toEqual(all.map((e: any) => e.node.slug));
      expect(pages).toBe(Math.ceil(all.length / 3));
      expect(walked.slice(-4)).toEqual(['tie-d', 'tie-c', 'tie-b', 'tie-a']);
    });

    it('continues right after an edge cursor', async () => {
      const { articles } = await ok(`{ articles(first: 3) { edges { cursor node { slug } } } }`);
      const next = await ok(
        `query ($after: String) { articles(first: 2, after: $after) { nodes { slug } } }`,
        {
          after: articles.edges[1].cursor,
        },
      );
      expect(next.articles.nodes[0].slug).toBe(articles.edges[2].node.slug);
    });

    it('rejects a garbage, tampered or foreign cursor, naming the argument', async () => {
      const expected =
        /^Argument "after" is not a valid cursor for this list: expected a cursor returned by it, got /;
      expect(await badInput(`{ articles(after: "garbage!") { totalCount } }`)).toMatch(expected);
      const tampered = Buffer.from(JSON.stringify(['articles:newest', 'not a date', 1])).toString(
        'base64url',
      );
      expect(await badInput(`{ articles(after: "${tampered}") { totalCount } }`)).toMatch(expected);
      const { people } = await ok(`{ people(first: 1) { pageInfo { endCursor } } }`);
      expect(
        await badInput(`query ($after: String) { articles(after: $after) { totalCount } }`, {
          after: people.pageInfo.endCursor,
        }),
      ).toMatch(expected);
    });
  });

  describe('Query.node and Query.nodes', () => {
    it('fetch every kind of node by its global ID, in the order asked', async () => {
      const { article } = await ok(`{ article(slug: "${REFERENCE}") {
        id section { id } tags { id } people { id } quotes { id speaker { ... on Organization { id } } } relatedLinks { id } } }`);
      const ids = [
        article.id,
        article.section.id,
        article.tags[0].id,
        article.people[0].id,
        article.quotes[0].id,
        article.quotes[1].speaker.id,
        article.relatedLinks[0].id,
      ];
      const { nodes } = await ok(`query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, { ids });
      expect(nodes.map((n: any) => n.__typename)).toEqual([
        'Article',
        'Section',
        'Tag',
        'Person',
        'Quote',
        'Organization',
        'RelatedLink',
      ]);
      expect(nodes.map((n: any) => n.id)).toEqual(ids);
      expect(
        (await ok(`query ($id: ID!) { node(id: $id) { ... on Quote { text } } }`, { id: ids[4] })).node.text,
      ).toMatch(/^Recall that Japan/);
      expect(await ok(`{ node(id: "${toGlobalId('Quote', 999_999)}") { id } }`)).toEqual({ node: null });
    });

    it('refuses more than 100 ids', async () => {
      const ids = Array.from({ length: 101 }, (_, i) => toGlobalId('Article', i + 1));
      expect(await badInput(`query ($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids })).toBe(
        'Argument "ids" takes at most 100 IDs, got 101',
      );
    });
  });

  describe('people, organizations and quotes', () => {
    it('Query.person finds a person by slug or id, with their quotes and the articles naming them', async () => {
      const { person } = await ok(`{ person(slug: "gerald-horne") { id name honorific description
        quotes(first: 3) { totalCount nodes { text article { slug } } }
        mentionedIn { totalCount nodes { slug } } articles { totalCount } } }`);
      expect(person).toMatchObject({ name: 'Gerald Horne', honorific: 'Dr.', articles: { totalCount: 0 } });
      expect(person.quotes.nodes).toHaveLength(3);
      expect(person.quotes.totalCount).toBe(5);
      expect(person.mentionedIn.nodes.map((n: any) => n.slug)).toContain(REFERENCE);
      const byId = await ok(`query ($id: ID!) { person(id: $id) { slug } }`, { id: person.id });
      expect(byId.person.slug).toBe('gerald-horne');
      expect(await ok(`{ person(slug: "nobody") { id } }`)).toEqual({ person: null });
    });

    it('Person.quotes pages newest article first and in body order within one', async () => {
      const all = (
        await ok(
          `{ person(slug: "gerald-horne") { quotes(first: 100) { nodes { text position article { publishedAt slug } } } } }`,
        )
      ).person.quotes.nodes;
      const paged: string[] = [];
      let after: string | null = null;
      do {
        const { person }: any = await ok(
          `query ($after: String) { person(slug: "gerald-horne") { quotes(first: 2, after: $after) { nodes { text } pageInfo { hasNextPage endCursor } } } }`,
          { after },
        );
        paged.push(...person.quotes.nodes.map((n: any) => n.text));
        after = person.quotes.pageInfo.hasNextPage ? person.quotes.pageInfo.endCursor : null;
      } while (after);
      expect(paged).toEqual(all.map((n: any) => n.text));
      const reference = all.filter((n: any) => n.article.slug === REFERENCE).map((n: any) => n.position);
      expect(reference).toEqual([...reference].sort((a: number, b: number) => a - b));
    });

    it('Query.people lists by name and matches part of a name or an alias', async () => {
      const { people } = await ok(`{ people(first: 100) { totalCount nodes { name } } }`);
      const names = people.nodes.map((n: any) => n.name);
      expect(names).toEqual([...names].sort((a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)));
      expect(people.totalCount).toBe(names.length);
      const leon = await ok(`{ people(query: "leon") { totalCount nodes { slug } } }`);
      expect(leon.people.nodes.map((n: any) => n.slug)).toContain('wilmer-leon');
    });

    it('Query.organization, Query.quote and Query.quotes', async () => {
      const { organization } = await ok(
        `{ organization(slug: "south-korean-foreign-ministry") { name quotes { nodes { id context } } } }`,
      );
      expect(organization.name).toBe('South Korean Foreign Ministry');
      expect(organization.quotes.nodes[0].context).toBe('in a statement');
      const { quote } = await ok(
        `query ($id: ID!) { quote(id: $id) { text speakerName article { slug } } }`,
        {
          id: organization.quotes.nodes[0].id,
        },
      );
      expect(quote).toMatchObject({
        speakerName: 'South Korean Foreign Ministry',
        article: { slug: REFERENCE },
      });
      const { quotes } = await ok(
        `{ quotes(filter: { speaker: "wilmer-leon", article: "${REFERENCE}" }) { totalCount nodes { text } } }`,
      );
      expect(quotes.totalCount).toBe(1);
      expect(quotes.nodes[0].text).toContain('negative press');
      expect(await ok(`{ organization(slug: "nobody") { id } }`)).toEqual({ organization: null });
    });
  });

  describe('sections and tags', () => {
    it('Query.sections, Query.section and Query.tag list their articles', async () => {
      const { sections } = await ok(`{ sections { slug name } }`);
      expect(sections.map((s: any) => s.slug)).toEqual(
        expect.arrayContaining(['analysis', 'military', 'world', 'ties']),
      );
      const { section } = await ok(
        `{ section(slug: "analysis") { name articles(first: 10) { totalCount nodes { section { slug } } } } }`,
      );
      expect(section.name).toBe('Analysis');
      expect(section.articles.nodes.every((n: any) => n.section.slug === 'analysis')).toBe(true);
      expect(section.articles.totalCount).toBe(section.articles.nodes.length);
      const { tag } = await ok(
        `{ tag(slug: "korean-peninsula") { name articles { nodes { tags { slug } } } } }`,
      );
      expect(tag.name).toBe('Korean Peninsula');
      expect(tag.articles.nodes.length).toBeGreaterThan(1);
      for (const node of tag.articles.nodes)
        expect(node.tags.map((t: any) => t.slug)).toContain('korean-peninsula');
      expect(await ok(`{ section(slug: "none") { id } tag(slug: "none") { id } }`)).toEqual({
        section: null,
        tag: null,
      });
    });
  });
});
