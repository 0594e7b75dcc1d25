import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ArticleDocument } from '../src/ingest/article-document.ts';
import { ingestArticle } from '../src/ingest/ingest-article.ts';
import type { ArticlePart } from '../src/modules/articles/index.ts';
import { createLoaders } from '../src/modules/loaders.ts';
import { newRequestScope, runInRequestScope } from '../src/shared/request-scope.ts';
import { anonymousViewer } from '../src/shared/viewer.ts';
import { describeEachEngine } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { statementsOf } from './helpers/sql-statements.ts';
import { useGateway } from './helpers/use-gateway.ts';
import { previewViewer, viewersByHeader } from './helpers/viewers.ts';

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

/** The benchmark's operations (issue 6): what the statement targets are about. */
const benchOperation = (name: string) =>
  readFileSync(new URL(`../bench/operations/${name}.graphql`, import.meta.url), 'utf8');

/** The benchmark's section front with the page size as a variable. */
const SECTION_FRONT = `
  query SectionFront($slug: String!, $first: Int!) {
    section(slug: $slug) {
      name
      articles(first: $first) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes {
          slug
          section { slug }
          leadImage { url width }
          authors { slug name }
          quotes { text speakerName speaker { __typename ... on Person { slug } } }
        }
      }
    }
  }`;

const ARTICLE_CONNECTION = 'totalCount pageInfo { hasNextPage endCursor } edges { cursor node { slug } }';
const QUOTE_CONNECTION = 'totalCount pageInfo { hasNextPage endCursor } edges { cursor node { text } }';

/** An article page with `count` quotes (people, organizations, names) and links (with images and targets). */
function pageArticle(slug: string, count: number): ArticleDocument {
  const keys = Array.from({ length: count }, (_, i) => i);
  return makeArticle({
    slug,
    tags: [
      { slug: 'tag-1', name: 'Tag 1' },
      { slug: 'tag-2', name: 'Tag 2' },
    ],
    authors: [
      { slug: 'author-1', name: 'Author 1' },
      { slug: 'author-2', name: 'Author 2' },
    ],
    people: keys.map((i) => ({ slug: `person-${i}`, name: `Person ${i}` })),
    organizations: [0, 1, 2].map((i) => ({ slug: `org-${i}`, name: `Org ${i}` })),
    quotes: keys.map((i) => ({
      key: `q${i}`,
      text: `Quote ${i} of ${slug}.`,
      speaker:
        i % 3 === 0
          ? { person: `person-${i}` }
          : i % 3 === 1
            ? { organization: `org-${i % 3}` }
            : { name: 'a bystander' },
    })),
    relatedLinks: keys.map((i) => ({
      key: `l${i}`,
      title: `Link ${i}`,
      ...(i % 2 === 0 ? { article: `batch-${i}` } : { url: `https://example.org/${i}` }),
      image: {
        url: `https://media.example/${slug}-link-${i}.jpg`,
        alt: `Link image ${i}`,
        width: 40,
        height: 30,
      },
    })),
    body: [
      { type: 'paragraph', text: 'Quoted.', quotes: keys.map((i) => `q${i}`) },
      { type: 'image', image: { url: `https://media.example/${slug}-body.jpg`, caption: 'In the body' } },
      ...keys.map((i) => ({ type: 'relatedLink' as const, link: `l${i}` })),
    ],
  });
}

describeEachEngine('batched loading', (engine) => {
  const gateway = useGateway(engine, {
    viewer: viewersByHeader({ preview: previewViewer }),
    async seed({ handle: { db } }) {
      // 60 articles in 3 sections of 20, each linking to the one two before it (outside the page
      // fetched), with distinct people.
      for (let i = 0; i < 60; i++) {
        await ingestArticle(
          db,
          makeArticle({
            slug: `batch-${i}`,
            section: { slug: `section-${i % 3}`, name: `Section ${i % 3}` },
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
      // Listed before the pages above (older), so `articles(first: 50)` stays on the batch articles.
      const older = { publishedAt: '2020-01-01T00:00:00.000Z' };
      for (const document of [
        { ...pageArticle('page-small', 1), ...older },
        { ...pageArticle('page-large', 7), ...older },
        makeArticle({ slug: 'hidden-draft', status: 'draft', ...older }),
        makeArticle({ slug: 'hidden-embargoed', publishedAt: '2099-01-01T00:00:00.000Z' }),
        makeArticle({
          slug: 'links-to-hidden',
          ...older,
          relatedLinks: [
            { key: 'd', title: 'To the draft', article: 'hidden-draft' },
            { key: 'e', title: 'To the embargoed one', article: 'hidden-embargoed' },
            { key: 'p', title: 'To a public one', article: 'batch-0' },
          ],
        }),
      ]) {
        await ingestArticle(db, document);
      }
    },
  });

  it('runs one statement for 5 articles as for 50, with everything nested resolved', async () => {
    const statements: number[] = [];
    for (const first of [5, 50]) {
      const response = await gateway.graphql(PAGE_WITH_EVERYTHING, { variables: { first } });
      const { body } = response;
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
      statements.push(statementsOf(response));
    }
    // The page brings each article's section, tags, authors and lead image, its quotes with their
    // speakers and its related links with their targets, as JSON: one statement, whatever its size.
    expect(statements).toEqual([1, 1]);
  });

  it('serves the benchmark article page in one statement, with one quote and link as with seven', async () => {
    const statements: number[] = [];
    for (const [slug, count] of [
      ['page-small', 1],
      ['page-large', 7],
    ] as const) {
      const response = await gateway.graphql(benchOperation('article-page'), { variables: { slug } });
      const { body } = response;
      expect(body.errors).toBeUndefined();
      const article = body.data!.article;
      expect(article.section.slug).toBe('world');
      expect(article.tags.map((tag: any) => tag.slug)).toEqual(['tag-1', 'tag-2']);
      expect(article.authors.map((author: any) => author.slug)).toEqual(['author-1', 'author-2']);
      expect(article.leadImage.url).toBe(`https://media.example/${slug}.jpg`);
      expect(article.quotes).toHaveLength(count);
      expect(article.quotes.map((quote: any) => quote.speaker?.slug ?? null)).toEqual(
        Array.from({ length: count }, (_, i) => (i % 3 === 0 ? `person-${i}` : i % 3 === 1 ? 'org-1' : null)),
      );
      expect(article.relatedLinks).toHaveLength(count);
      expect(article.relatedLinks.map((link: any) => [link.image.alt, link.target?.slug ?? null])).toEqual(
        Array.from({ length: count }, (_, i) => [`Link image ${i}`, i % 2 === 0 ? `batch-${i}` : null]),
      );
      const blocks = article.body.map((block: any) => block.__typename);
      expect(blocks.filter((type: string) => type === 'RelatedLinkBlock')).toHaveLength(count);
      expect(article.body[1].image.url).toBe(`https://media.example/${slug}-body.jpg`);
      statements.push(statementsOf(response));
    }
    // The article brings its parts (section, tags, lead image, authors, body images), its quotes
    // with their speakers and its related links with their images and targets.
    expect(statements).toEqual([1, 1]);
  });

  it('serves a section front of 5 teasers in as many statements as one of 20', async () => {
    const statements: number[] = [];
    for (const first of [5, 20]) {
      const response = await gateway.graphql(SECTION_FRONT, { variables: { slug: 'section-0', first } });
      const { body } = response;
      expect(body.errors).toBeUndefined();
      const articles = body.data!.section.articles;
      expect(articles.totalCount).toBe(20);
      expect(articles.nodes).toHaveLength(first);
      for (const node of articles.nodes) {
        expect(node.section.slug).toBe('section-0');
        expect(node.leadImage.width).toBe(800);
        expect(node.authors).toHaveLength(1);
        expect(node.quotes.map((quote: any) => quote.speaker?.__typename ?? null)).toEqual([
          'Person',
          'Organization',
          null,
        ]);
      }
      statements.push(statementsOf(response));
    }
    // The section; the page, bringing the teasers' parts and quotes with speakers; its count.
    expect(statements).toEqual([3, 3]);
  });

  it('serves the benchmark section front in two statements', async () => {
    const response = await gateway.graphql(benchOperation('section-front'), {
      variables: { slug: 'section-1' },
    });
    const { body } = response;
    expect(body.errors).toBeUndefined();
    const nodes = body.data!.section.articles.nodes as any[];
    expect(nodes).toHaveLength(20);
    for (const node of nodes) {
      expect(node.section.slug).toBe('section-1');
      expect(node.authors).toHaveLength(1);
      expect(node.quotes.map((quote: any) => quote.speakerName)).toHaveLength(3);
    }
    // The section; the page, bringing its teasers' parts and quotes.
    expect(statementsOf(response)).toBe(2);
  });

  it('serves the benchmark trivial query in one statement', async () => {
    const response = await gateway.graphql(benchOperation('trivial'), { variables: { slug: 'batch-3' } });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.article.headline).toEqual(expect.any(String));
    expect(statementsOf(response)).toBe(1);
  });

  it('serves the benchmark person page in three statements', async () => {
    const response = await gateway.graphql(benchOperation('person-page'), {
      variables: { slug: 'person-3' },
    });
    const { body } = response;
    expect(body.errors).toBeUndefined();
    const person = body.data!.person;
    expect(person.quotes.nodes.map((quote: any) => [quote.text, quote.article.slug])).toEqual([
      ['Said by person 3.', 'batch-3'],
      ['Quote 3 of page-large.', 'page-large'],
    ]);
    expect(person.mentionedIn.nodes.map((article: any) => article.slug)).toEqual(['batch-3', 'page-large']);
    // The person; their quotes, bringing the quotes' articles; the articles naming them.
    expect(statementsOf(response)).toBe(3);
  });

  it('leaves a draft or embargoed link target null for anonymous callers and shows it with preview', async () => {
    const query = `{ article(slug: "links-to-hidden") { relatedLinks { title target { slug } } } }`;
    const targets = async (viewer: 'anonymous' | 'preview') => {
      const response = await gateway.graphql(query, { headers: { 'x-test-viewer': viewer } });
      expect(response.body.errors).toBeUndefined();
      // The article brings its links with their targets: the targets cost nothing more.
      expect(statementsOf(response)).toBe(1);
      return response.body.data!.article.relatedLinks.map((link: any) => link.target?.slug ?? null);
    };
    expect(await targets('anonymous')).toEqual([null, null, 'batch-0']);
    expect(await targets('preview')).toEqual(['hidden-draft', 'hidden-embargoed', 'batch-0']);
  });

  it('brings speakers and link targets along only when the operation reads them, fragments included', async () => {
    const bare = await gateway.graphql(
      `{ article(slug: "page-large") { quotes { text } relatedLinks { title } } }`,
    );
    expect(bare.body.errors).toBeUndefined();
    expect(bare.body.data!.article.quotes).toHaveLength(7);
    // The article brings its quotes and links.
    expect(statementsOf(bare)).toBe(1);
    const throughFragments = await gateway.graphql(
      `query { article(slug: "page-large") { quotes { ...Said } relatedLinks { ... on RelatedLink { ...Linked } } } }
       fragment Said on Quote { speaker { ... on Person { slug } ... on Organization { slug } } }
       fragment Linked on RelatedLink { target { slug } }`,
    );
    expect(throughFragments.body.errors).toBeUndefined();
    const article = throughFragments.body.data!.article;
    expect(article.quotes.map((quote: any) => quote.speaker?.slug ?? null)).toEqual([
      'person-0',
      'org-1',
      null,
      'person-3',
      'org-1',
      null,
      'person-6',
    ]);
    expect(article.relatedLinks.map((link: any) => link.target?.slug ?? null)).toEqual([
      'batch-0',
      null,
      'batch-2',
      null,
      'batch-4',
      null,
      'batch-6',
    ]);
    // Speakers and targets came with the article: no statement for people, organizations or articles.
    expect(statementsOf(throughFragments)).toBe(1);
  });

  describe('connections nested in a list', () => {
    it('runs one statement per connection and count, whatever the number of parents', async () => {
      const query = `{ sections { slug articles(first: 2) { ${ARTICLE_CONNECTION} } } }`;
      const response = await gateway.graphql(query);
      expect(response.body.errors).toBeUndefined();
      const sections = response.body.data!.sections as any[];
      expect(sections.map((section) => section.slug)).toEqual([
        'section-0',
        'section-1',
        'section-2',
        'world',
      ]);
      // The sections, their pages, their counts.
      expect(statementsOf(response)).toBe(3);
      // Each nested page, cursors and counts included, is the one its section lists on its own.
      for (const section of sections) {
        const alone = await gateway.graphql(
          `{ section(slug: "${section.slug}") { articles(first: 2) { ${ARTICLE_CONNECTION} } } }`,
        );
        expect(section.articles).toEqual(alone.body.data!.section.articles);
      }
    });

    it('keeps order and cursors: a page after a cursor is the one each parent lists on its own', async () => {
      const first = await gateway.graphql(
        `{ section(slug: "section-0") { articles(first: 3) { ${ARTICLE_CONNECTION} } } }`,
      );
      const after = first.body.data!.section.articles.pageInfo.endCursor as string;
      const response = await gateway.graphql(
        `query ($after: String) { sections { slug articles(first: 3, after: $after) { ${ARTICLE_CONNECTION} } } }`,
        { variables: { after } },
      );
      expect(response.body.errors).toBeUndefined();
      expect(statementsOf(response)).toBe(3);
      const sections = response.body.data!.sections as any[];
      for (const section of sections) {
        const alone = await gateway.graphql(
          `query ($after: String) { section(slug: "${section.slug}") { articles(first: 3, after: $after) { ${ARTICLE_CONNECTION} } } }`,
          { variables: { after } },
        );
        expect(section.articles).toEqual(alone.body.data!.section.articles);
      }
      // Section 0's second page continues its first: together, its six newest.
      const six = await gateway.graphql(
        `{ section(slug: "section-0") { articles(first: 6) { edges { node { slug } } } } }`,
      );
      const slugs = (connection: any) => connection.edges.map((edge: any) => edge.node.slug);
      expect([...slugs(first.body.data!.section.articles), ...slugs(sections[0].articles)]).toEqual(
        slugs(six.body.data!.section.articles),
      );
    });

    it('batches the quotes, authored and mentioning articles of a list of people', async () => {
      const fields = `slug quotes(first: 1) { ${QUOTE_CONNECTION} } mentionedIn(first: 1) { ${ARTICLE_CONNECTION} }
        articles(first: 1) { ${ARTICLE_CONNECTION} }`;
      const statements: number[] = [];
      for (const first of [3, 20]) {
        const response = await gateway.graphql(`{ people(first: ${first}) { nodes { ${fields} } } }`);
        expect(response.body.errors).toBeUndefined();
        const people = response.body.data!.people.nodes as any[];
        expect(people).toHaveLength(first);
        statements.push(statementsOf(response));
        for (const person of people) {
          const alone = await gateway.graphql(`{ person(slug: "${person.slug}") { ${fields} } }`);
          expect(person).toEqual(alone.body.data!.person);
        }
      }
      // The people; then a page and a count for each of quotes, mentions and bylines.
      expect(statements).toEqual([7, 7]);
    });
  });

  describe('rows primed from a parent statement', () => {
    /** Runs `load` and reports the statements it ran. */
    async function counted<T>(load: () => Promise<T>): Promise<{ value: T; statements: number }> {
      const scope = newRequestScope('primed-rows');
      const value = await runInRequestScope(scope, load);
      return { value, statements: scope.sql.statements };
    }

    it('are the very rows the plain loaders return, Dates included, and cost no statement', async () => {
      const db = gateway.db;
      const primed = createLoaders(db, anonymousViewer);
      const plain = createLoaders(db, anonymousViewer);
      const article = (await primed.articleBySlug.load('page-large'))!;
      const parts = [
        'section',
        'tags',
        'leadImage',
        'authors',
        'bodyImages',
      ] as const satisfies readonly ArticlePart[];
      const [section, tags, leadImage, authors, bodyImages] = await Promise.all(
        parts.map((part) => primed.articleParts.load({ articleId: article.id, part })),
      );
      const quotes = await primed.quotesByArticle.load({ articleId: article.id, speakers: true });
      const links = await primed.relatedLinksByArticle.load({ articleId: article.id, targets: true });

      const personIds = [
        ...(authors as any[]).map((person) => person.id as number),
        ...quotes.flatMap((quote) => (quote.speaker_person_id === null ? [] : [quote.speaker_person_id])),
      ];
      const organizationIds = quotes.flatMap((quote) =>
        quote.speaker_organization_id === null ? [] : [quote.speaker_organization_id],
      );
      const imageIds = [
        (leadImage as any).id as number,
        ...(bodyImages as any[]).map((image) => image.id as number),
        ...links.map((link) => link.image_id!),
      ];
      const targetIds = links.flatMap((link) =>
        link.target_article_id === null ? [] : [link.target_article_id],
      );
      expect([personIds.length, organizationIds.length, imageIds.length, targetIds.length]).toEqual([
        5, 2, 9, 4,
      ]);

      const load = (loaders: typeof primed) =>
        Promise.all([
          loaders.sectionById.loadMany([article.section_id]),
          loaders.personById.loadMany(personIds),
          loaders.organizationById.loadMany(organizationIds),
          loaders.imageById.loadMany(imageIds),
          loaders.articleById.loadMany(targetIds),
        ]);
      const fromPrimed = await counted(() => load(primed));
      expect(fromPrimed.statements).toBe(0);
      const fromPlain = await counted(() => load(plain));
      expect(fromPlain.statements).toBe(5);
      expect(fromPrimed.value).toStrictEqual(fromPlain.value);
      expect((fromPrimed.value[4][0] as any).published_at).toBeInstanceOf(Date);
      expect((fromPrimed.value[1][0] as any).created_at).toBeInstanceOf(Date);

      // Parts that have no loader of their own equal the rows fetched by id.
      expect(section).toStrictEqual(await plain.sectionById.load(article.section_id));
      expect(tags).toStrictEqual(
        await Promise.all((tags as any[]).map((tag) => plain.tagById.load(tag.id as number))),
      );
    });

    it("are, brought by the article's own statement, the rows its children's loaders return", async () => {
      const db = gateway.db;
      const primed = createLoaders(db, anonymousViewer);
      const plain = createLoaders(db, anonymousViewer);
      const wanted = {
        parts: ['section', 'tags', 'leadImage', 'authors', 'bodyImages'] as const,
        children: { quotes: true, relatedLinks: true },
      };
      const looked = await counted(() =>
        primed.articleLookup.load({ by: 'slug', value: 'page-large', with: wanted }),
      );
      expect(looked.statements).toBe(1);
      const article = looked.value!;
      expect(article).toStrictEqual(await plain.articleBySlug.load('page-large'));
      expect(Object.keys(article).filter((key) => key.startsWith('with_'))).toEqual([]);

      const children = (loaders: typeof primed) =>
        Promise.all([
          Promise.all(wanted.parts.map((part) => loaders.articleParts.load({ articleId: article.id, part }))),
          loaders.quotesByArticle.load({ articleId: article.id, speakers: true }),
          loaders.quotesByArticle.load({ articleId: article.id, speakers: false }),
          loaders.relatedLinksByArticle.load({ articleId: article.id, targets: true }),
        ]);
      const fromPrimed = await counted(() => children(primed));
      expect(fromPrimed.statements).toBe(0);
      const fromPlain = await counted(() => children(plain));
      expect(fromPlain.statements).toBe(3);
      expect(fromPrimed.value).toStrictEqual(fromPlain.value);
      const [, quotes, , links] = fromPrimed.value;
      expect(quotes).toHaveLength(7);
      expect(quotes[0]!.listed_at).toBeInstanceOf(Date);
      // Speakers and targets came along, as the plain loaders' own statements bring them.
      const speakers = await counted(() =>
        primed.personById.loadMany(quotes.flatMap((quote) => quote.speaker_person_id ?? [])),
      );
      expect(speakers.statements).toBe(0);
      const targets = await counted(() =>
        primed.articleById.loadMany(links.flatMap((link) => link.target_article_id ?? [])),
      );
      expect(targets.statements).toBe(0);
      expect(targets.value).toStrictEqual(
        await plain.articleById.loadMany(links.flatMap((link) => link.target_article_id ?? [])),
      );
    });

    it('brings speakers and targets only when asked to', async () => {
      const primed = createLoaders(gateway.db, anonymousViewer);
      const article = (await primed.articleLookup.load({
        by: 'slug',
        value: 'page-large',
        with: { parts: [], children: { quotes: false, relatedLinks: false } },
      }))!;
      const quotes = await counted(() =>
        primed.quotesByArticle.load({ articleId: article.id, speakers: false }),
      );
      expect(quotes.statements).toBe(0);
      // Not brought: the quotes read with their speakers, and the speakers, cost statements of their own.
      const withSpeakers = await counted(() =>
        primed.quotesByArticle.load({ articleId: article.id, speakers: true }),
      );
      expect(withSpeakers.statements).toBe(1);
      const links = await counted(() =>
        primed.relatedLinksByArticle.load({ articleId: article.id, targets: false }),
      );
      expect(links.statements).toBe(0);
      const targets = await counted(() =>
        primed.articleById.loadMany(links.value.flatMap((link) => link.target_article_id ?? [])),
      );
      expect(targets.statements).toBe(1);
    });

    it('primes a link target the viewer may not see as null, as articleById answers it', async () => {
      const db = gateway.db;
      const primed = createLoaders(db, anonymousViewer);
      const plain = createLoaders(db, anonymousViewer);
      const linker = (await primed.articleBySlug.load('links-to-hidden'))!;
      const links = await primed.relatedLinksByArticle.load({ articleId: linker.id, targets: true });
      const targetIds = links.map((link) => link.target_article_id!);
      const fromPrimed = await counted(() => primed.articleById.loadMany(targetIds));
      expect(fromPrimed.statements).toBe(0);
      expect(fromPrimed.value.map((article: any) => article?.slug ?? null)).toEqual([null, null, 'batch-0']);
      expect(fromPrimed.value).toStrictEqual(await plain.articleById.loadMany(targetIds));
    });
  });
});
