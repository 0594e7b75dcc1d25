import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestPaths } from '../src/ingest/ingest-paths.ts';
import { anonymousViewer, type Viewer } from '../src/shared/viewer.ts';
import { describeEachEngine, type TestDatabase } from './helpers/engines.ts';
import { makeArticle, writeArticleFiles } from './helpers/fixtures.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

/**
 * Drafts and embargoed articles (a future `publishedAt`) are invisible through every entry point
 * unless the caller has the `preview` scope. ONE table, one row per entry point: a new entry point
 * (search, embeds, oEmbed…) is a new row.
 */

const DRAFT = 'draft-seoul-weighs-new-sanctions';
const EMBARGOED = 'after-the-pact-where-the-korean-peninsula-goes-next';
const HIDDEN = [DRAFT, EMBARGOED];
const LINKER = 'visibility-matrix-linker';

const previewViewer: Viewer = {
  ...anonymousViewer,
  kind: 'partner',
  partnerId: 1,
  partnerName: 'preview partner',
  scopes: new Set(['preview']),
};

/** What the row's query exposed: the article slugs it reached and, for lists, the count it claims. */
interface Exposed {
  readonly slugs: string[];
  readonly count?: number;
}

/** Ids of the hidden articles and their quotes, read once with the preview scope. */
interface HiddenIds {
  readonly articleIds: Record<string, string>;
  readonly articleUrls: Record<string, string>;
  readonly quoteIds: Record<string, string[]>;
}

interface EntryPoint {
  readonly name: string;
  readonly query: string;
  readonly variables?: (ids: HiddenIds) => Record<string, unknown>;
  readonly exposed: (data: any) => Exposed;
  /** The hidden articles a preview caller must reach through it. */
  readonly previewSees: readonly string[];
}

const page = (connection: any): Exposed => ({
  slugs: connection.nodes.map((node: any) => node.slug),
  count: connection.totalCount,
});
const quotePage = (connection: any): Exposed => ({
  slugs: connection.nodes.map((quote: any) => quote.article.slug),
  count: connection.totalCount,
});
const articleFields = 'totalCount nodes { slug }';
const quoteFields = 'totalCount nodes { article { slug } }';

const entryPoints: EntryPoint[] = [
  ...HIDDEN.map((slug): EntryPoint => ({
    name: `article(slug: ${slug})`,
    query: `{ article(slug: "${slug}") { slug } }`,
    exposed: (data) => ({ slugs: data.article ? [data.article.slug] : [] }),
    previewSees: [slug],
  })),
  ...HIDDEN.map((slug): EntryPoint => ({
    name: `article(id) of ${slug}`,
    query: 'query ($id: ID!) { article(id: $id) { slug } }',
    variables: (ids) => ({ id: ids.articleIds[slug] }),
    exposed: (data) => ({ slugs: data.article ? [data.article.slug] : [] }),
    previewSees: [slug],
  })),
  ...HIDDEN.map((slug): EntryPoint => ({
    name: `article(url) of ${slug}`,
    query: 'query ($url: URL!) { article(url: $url) { slug } }',
    variables: (ids) => ({ url: ids.articleUrls[slug] }),
    exposed: (data) => ({ slugs: data.article ? [data.article.slug] : [] }),
    previewSees: [slug],
  })),
  ...HIDDEN.map((slug): EntryPoint => ({
    name: `node(id) of ${slug}`,
    query: 'query ($id: ID!) { node(id: $id) { ... on Article { slug } } }',
    variables: (ids) => ({ id: ids.articleIds[slug] }),
    exposed: (data) => ({ slugs: data.node ? [data.node.slug] : [] }),
    previewSees: [slug],
  })),
  {
    name: 'nodes(ids) of the hidden articles and their quotes',
    query:
      'query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Article { slug } ... on Quote { article { slug } } } }',
    variables: (ids) => ({ ids: [...Object.values(ids.articleIds), ...Object.values(ids.quoteIds).flat()] }),
    exposed: (data) => ({
      slugs: data.nodes.filter(Boolean).map((node: any) => node.slug ?? node.article.slug),
    }),
    previewSees: HIDDEN,
  },
  {
    name: 'articles + totalCount',
    query: `{ articles(first: 100) { ${articleFields} } }`,
    exposed: (data) => page(data.articles),
    previewSees: HIDDEN,
  },
  {
    name: 'articles(orderBy: OLDEST, filter: section, tag, person)',
    query: `{ a: articles(first: 100, orderBy: OLDEST, filter: { section: "world" }) { ${articleFields} }
      b: articles(first: 100, filter: { tag: "korean-peninsula" }) { ${articleFields} }
      c: articles(first: 100, filter: { person: "tobias-wrenfield" }) { ${articleFields} } }`,
    exposed: (data) => {
      const pages = [page(data.a), page(data.b), page(data.c)];
      return { slugs: pages.flatMap((p) => p.slugs), count: pages.reduce((sum, p) => sum + p.count!, 0) };
    },
    previewSees: HIDDEN,
  },
  {
    name: 'section.articles',
    query: `{ w: section(slug: "world") { articles(first: 100) { ${articleFields} } }
      a: section(slug: "analysis") { articles(first: 100) { ${articleFields} } } }`,
    exposed: (data) => {
      const pages = [page(data.w.articles), page(data.a.articles)];
      return { slugs: pages.flatMap((p) => p.slugs), count: pages.reduce((sum, p) => sum + p.count!, 0) };
    },
    previewSees: HIDDEN,
  },
  {
    name: 'sections { articles }',
    query: `{ sections { articles(first: 100) { ${articleFields} } } }`,
    exposed: (data) => {
      const pages = data.sections.map((section: any) => page(section.articles)) as Exposed[];
      return { slugs: pages.flatMap((p) => p.slugs), count: pages.reduce((sum, p) => sum + p.count!, 0) };
    },
    previewSees: HIDDEN,
  },
  {
    name: 'tag.articles',
    query: `{ s: tag(slug: "south-korea") { articles(first: 100) { ${articleFields} } }
      k: tag(slug: "korean-peninsula") { articles(first: 100) { ${articleFields} } } }`,
    exposed: (data) => {
      const pages = [page(data.s.articles), page(data.k.articles)];
      return { slugs: pages.flatMap((p) => p.slugs), count: pages.reduce((sum, p) => sum + p.count!, 0) };
    },
    previewSees: HIDDEN,
  },
  {
    name: 'person.articles (as author)',
    query: `{ j: person(slug: "jun-seo-park") { articles(first: 100) { ${articleFields} } }
      e: person(slug: "elliot-fairbanks") { articles(first: 100) { ${articleFields} } } }`,
    exposed: (data) => {
      const pages = [page(data.j.articles), page(data.e.articles)];
      return { slugs: pages.flatMap((p) => p.slugs), count: pages.reduce((sum, p) => sum + p.count!, 0) };
    },
    previewSees: HIDDEN,
  },
  {
    name: 'person.mentionedIn',
    query: `{ person(slug: "tobias-wrenfield") { mentionedIn(first: 100) { ${articleFields} } } }`,
    exposed: (data) => page(data.person.mentionedIn),
    previewSees: HIDDEN,
  },
  {
    name: 'person.quotes',
    query: `{ g: person(slug: "tobias-wrenfield") { quotes(first: 100) { ${quoteFields} } }
      h: person(slug: "han-ji-woo") { quotes(first: 100) { ${quoteFields} } } }`,
    exposed: (data) => {
      const pages = [quotePage(data.g.quotes), quotePage(data.h.quotes)];
      return { slugs: pages.flatMap((p) => p.slugs), count: pages.reduce((sum, p) => sum + p.count!, 0) };
    },
    previewSees: HIDDEN,
  },
  {
    name: 'organization.quotes and organization.mentionedIn',
    query: `{ organization(slug: "south-korean-foreign-ministry") {
      quotes(first: 100) { ${quoteFields} } mentionedIn(first: 100) { ${articleFields} } } }`,
    exposed: (data) => {
      const pages = [quotePage(data.organization.quotes), page(data.organization.mentionedIn)];
      return { slugs: pages.flatMap((p) => p.slugs), count: pages.reduce((sum, p) => sum + p.count!, 0) };
    },
    previewSees: [DRAFT],
  },
  ...HIDDEN.map((slug): EntryPoint => ({
    name: `quote(id) of a quote in ${slug}`,
    query: 'query ($id: ID!) { quote(id: $id) { article { slug } } }',
    variables: (ids) => ({ id: ids.quoteIds[slug]![0] }),
    exposed: (data) => ({ slugs: data.quote ? [data.quote.article.slug] : [] }),
    previewSees: [slug],
  })),
  {
    name: 'quotes(filter: article, speaker) + totalCount',
    query: `{ d: quotes(first: 100, filter: { article: "${DRAFT}" }) { ${quoteFields} }
      e: quotes(first: 100, filter: { article: "${EMBARGOED}" }) { ${quoteFields} }
      g: quotes(first: 100, filter: { speaker: "tobias-wrenfield" }) { ${quoteFields} }
      all: quotes(first: 100) { ${quoteFields} } }`,
    exposed: (data) => {
      const pages = [quotePage(data.d), quotePage(data.e), quotePage(data.g), quotePage(data.all)];
      return { slugs: pages.flatMap((p) => p.slugs), count: pages.reduce((sum, p) => sum + p.count!, 0) };
    },
    previewSees: HIDDEN,
  },
  {
    name: 'search + totalCount',
    query: `{ search(query: "Tobias Wrenfield", first: 100) { totalCount edges { node { slug } } } }`,
    exposed: (data) => ({
      slugs: data.search.edges.map((edge: any) => edge.node.slug),
      count: data.search.totalCount,
    }),
    previewSees: HIDDEN,
  },
  {
    name: 'quotes(filter: query) (quote search)',
    query: `{ quotes(first: 100, filter: { query: "sanctions OR soviet" }) { ${quoteFields} } }`,
    exposed: (data) => quotePage(data.quotes),
    previewSees: HIDDEN,
  },
  {
    name: 'article.relatedArticles',
    query: `{ article(slug: "russia-north-korea-pact-major-loss-for-us-allies") { relatedArticles(first: 20) { article { slug } } } }`,
    exposed: (data) => ({ slugs: data.article.relatedArticles.map((related: any) => related.article.slug) }),
    previewSees: HIDDEN,
  },
  {
    name: 'relatedLinks.target',
    query: `{ article(slug: "${LINKER}") { relatedLinks { target { slug } } } }`,
    exposed: (data) => ({
      slugs: data.article.relatedLinks
        .filter((link: any) => link.target)
        .map((link: any) => link.target.slug),
    }),
    previewSees: HIDDEN,
  },
];

describeEachEngine('visibility of drafts and embargoed articles', (engine) => {
  let database: TestDatabase;
  let gateway: TestGateway;
  let ids: HiddenIds;
  beforeAll(async () => {
    database = await engine.open({ demo: true });
    gateway = await startTestGateway(database, {
      resolveViewer: async (req) =>
        req.get('x-test-viewer') === 'preview' ? previewViewer : anonymousViewer,
    });
    // A public article whose related links point at the hidden ones.
    const linker = makeArticle({
      slug: LINKER,
      relatedLinks: [
        { key: 'l1', title: 'To the draft', article: DRAFT },
        { key: 'l2', title: 'To the embargoed one', article: EMBARGOED },
      ],
    });
    const { dir } = await writeArticleFiles({ 'linker.json': linker });
    const summary = await ingestPaths(database.handle.db, [dir]);
    expect(summary.failed).toBe(0);

    const { body } = await gateway.graphql(
      `query ($a: String!, $b: String!) { a: article(slug: $a) { id url quotes { id } } b: article(slug: $b) { id url quotes { id } } }`,
      { variables: { a: DRAFT, b: EMBARGOED }, headers: { 'x-test-viewer': 'preview' } },
    );
    const [draft, embargoed] = [body.data!.a, body.data!.b];
    ids = {
      articleIds: { [DRAFT]: draft.id, [EMBARGOED]: embargoed.id },
      articleUrls: { [DRAFT]: draft.url, [EMBARGOED]: embargoed.url },
      quoteIds: {
        [DRAFT]: draft.quotes.map((q: { id: string }) => q.id),
        [EMBARGOED]: embargoed.quotes.map((q: { id: string }) => q.id),
      },
    };
    expect(ids.quoteIds[DRAFT]!.length).toBeGreaterThan(0);
    expect(ids.quoteIds[EMBARGOED]!.length).toBeGreaterThan(0);
  });
  afterAll(async () => {
    await gateway?.close();
    await database?.drop();
  });

  it('hides them from anonymous callers and shows them with the preview scope, through every entry point', async () => {
    const failures: string[] = [];
    for (const entry of entryPoints) {
      const variables = entry.variables?.(ids);
      const run = async (viewer: 'anonymous' | 'preview') => {
        const { status, body } = await gateway.graphql(entry.query, {
          ...(variables ? { variables } : {}),
          headers: { 'x-test-viewer': viewer },
        });
        if (status !== 200 || body.errors) {
          failures.push(`${entry.name} [${viewer}]: ${status} ${JSON.stringify(body.errors)}`);
          return undefined;
        }
        return { exposed: entry.exposed(body.data), data: body.data };
      };
      const anonymous = await run('anonymous');
      const preview = await run('preview');
      if (!anonymous || !preview) continue;
      const leaked = anonymous.exposed.slugs.filter((slug) => HIDDEN.includes(slug));
      if (leaked.length > 0) failures.push(`${entry.name} [anonymous]: leaked ${leaked.join(', ')}`);
      const missing = entry.previewSees.filter((slug) => !preview.exposed.slugs.includes(slug));
      if (missing.length > 0) failures.push(`${entry.name} [preview]: does not reach ${missing.join(', ')}`);
      for (const [viewer, result] of [
        ['anonymous', anonymous],
        ['preview', preview],
      ] as const) {
        const { count, slugs } = result.exposed;
        if (count !== undefined && count !== slugs.length) {
          failures.push(`${entry.name} [${viewer}]: totalCount ${count} but ${slugs.length} items`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('keeps them out of embed pages and oEmbed, and serves them there with the preview scope', async () => {
    // One row per HTTP entry point: [name, path, status for anonymous callers, status with preview].
    const rows: [string, (slug: string) => string, number, number][] = [
      ['embed page', (slug) => `/embed/articles/${slug}`, 404, 200],
      ['oEmbed', (slug) => `/oembed?url=${encodeURIComponent(ids.articleUrls[slug]!)}`, 401, 200],
      ['embed quote card', (slug) => `/embed/quotes/${ids.quoteIds[slug]![0]}`, 404, 200],
    ];
    const failures: string[] = [];
    for (const [name, path, anonymousStatus, previewStatus] of rows) {
      for (const slug of HIDDEN) {
        for (const [viewer, expected] of [
          ['anonymous', anonymousStatus],
          ['preview', previewStatus],
        ] as const) {
          const response = await fetch(`${gateway.origin}${path(slug)}`, {
            headers: { 'x-test-viewer': viewer },
          });
          const text = await response.text();
          if (response.status !== expected)
            failures.push(`${name} of ${slug} [${viewer}]: ${response.status}`);
          if (viewer === 'anonymous' && /Seoul Weighs|Where the Korean Peninsula Goes Next/i.test(text)) {
            failures.push(`${name} of ${slug} [anonymous]: the headline leaked`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

/**
 * The `body` right: a partner key without it reads no body text through any entry point, whether
 * GraphQL fields, search highlights or HTML pages. One row per entry point, as above.
 */
const RIGHTS_SLUG = 'visibility-matrix-body-right';
const BODY_WORD = 'quokkanomics';
const BODY_TEXT = `Economists call it ${BODY_WORD}: a phrase found only in this body.`;

const partnerWith = (id: number, scopes: readonly ('body' | 'preview')[]): Viewer => ({
  ...anonymousViewer,
  kind: 'partner',
  partnerId: id,
  partnerName: `partner ${id}`,
  scopes: new Set(scopes),
});

interface RightsRow {
  readonly name: string;
  /** Whether the answer carried body text, and whether it said why not (FORBIDDEN) when it did not. */
  read(gateway: TestGateway, viewer: string): Promise<{ bodyText: boolean; forbidden: boolean }>;
}

const rightsRows: RightsRow[] = [
  {
    name: 'Article.body',
    async read(gateway, viewer) {
      const { body } = await gateway.graphql(
        'query ($slug: String!) { article(slug: $slug) { body { ... on ParagraphBlock { text } } } }',
        { variables: { slug: RIGHTS_SLUG }, headers: { 'x-test-viewer': viewer } },
      );
      return {
        bodyText: String(JSON.stringify(body.data)).includes(BODY_WORD),
        forbidden: body.errors?.some((error) => error.extensions?.['code'] === 'FORBIDDEN') ?? false,
      };
    },
  },
  {
    name: 'search highlights.body',
    async read(gateway, viewer) {
      const { body } = await gateway.graphql(
        'query ($q: String!) { search(query: $q) { edges { highlights { headline body } } } }',
        { variables: { q: BODY_WORD }, headers: { 'x-test-viewer': viewer } },
      );
      return {
        bodyText: String(JSON.stringify(body.data)).includes(BODY_WORD),
        forbidden: body.errors?.some((error) => error.extensions?.['code'] === 'FORBIDDEN') ?? false,
      };
    },
  },
  {
    name: 'article page /articles/:slug',
    async read(gateway, viewer) {
      const response = await fetch(`${gateway.origin}/articles/${RIGHTS_SLUG}`, {
        headers: { 'x-test-viewer': viewer },
      });
      const html = await response.text();
      // The page still answers (headline, standfirst, link to the article): only the text is left out.
      return { bodyText: html.includes(BODY_WORD), forbidden: response.status === 200 };
    },
  },
];

describeEachEngine('the body right', (engine) => {
  let database: TestDatabase;
  let gateway: TestGateway;
  beforeAll(async () => {
    database = await engine.open();
    const viewers: Record<string, Viewer> = {
      'with-body': partnerWith(11, ['body']),
      'without-body': partnerWith(12, []),
    };
    gateway = await startTestGateway(database, {
      resolveViewer: async (req) => viewers[req.get('x-test-viewer') ?? ''] ?? anonymousViewer,
    });
    const article = makeArticle({
      slug: RIGHTS_SLUG,
      quotes: [],
      body: [{ type: 'paragraph', text: BODY_TEXT }],
    });
    const { dir } = await writeArticleFiles({ 'rights.json': article });
    expect((await ingestPaths(database.handle.db, [dir])).failed).toBe(0);
  });
  afterAll(async () => {
    await gateway?.close();
    await database?.drop();
  });

  it('gives body text to anonymous callers and keys with the right, never to keys without it', async () => {
    const failures: string[] = [];
    for (const row of rightsRows) {
      for (const [viewer, expected] of [
        ['anonymous', true],
        ['with-body', true],
        ['without-body', false],
      ] as const) {
        const { bodyText, forbidden } = await row.read(gateway, viewer);
        if (bodyText !== expected) {
          failures.push(`${row.name} [${viewer}]: ${bodyText ? 'body text leaked' : 'no body text'}`);
        }
        if (viewer === 'without-body' && !forbidden) {
          failures.push(`${row.name} [${viewer}]: did not say the right is missing`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

/**
 * A taken-down article (a legal removal) is gone for every caller without the editor scope — the
 * preview scope too — on every entry point. Each row reaches it before the takedown (so every row
 * can fail) and must not after; editors still reach it through the direct lookups.
 */
const TAKEN_DOWN = 'kuril-islands-dispute-hardens';
const TAKEN_DOWN_HEADLINE = 'Kuril Islands Dispute Hardens';

const takedownRows = (ids: {
  articleId: string;
  url: string;
  quoteIds: string[];
}): [string, string, Record<string, unknown>?][] => [
  ['article(slug)', `{ article(slug: "${TAKEN_DOWN}") { slug } }`],
  ['article(id)', 'query ($id: ID!) { article(id: $id) { slug } }', { id: ids.articleId }],
  ['article(url)', 'query ($url: URL!) { article(url: $url) { slug } }', { url: ids.url }],
  ['node(id)', 'query ($id: ID!) { node(id: $id) { ... on Article { slug } } }', { id: ids.articleId }],
  [
    'nodes(ids) of it and its quotes',
    'query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Article { slug } ... on Quote { article { slug } } } }',
    { ids: [ids.articleId, ...ids.quoteIds] },
  ],
  ['quote(id)', 'query ($id: ID!) { quote(id: $id) { article { slug } } }', { id: ids.quoteIds[0] }],
  ['articles + totalCount', `{ articles(first: 100) { ${articleFields} } }`],
  [
    'articles filtered by section, tag, person',
    `{ a: articles(first: 100, filter: { section: "world" }) { ${articleFields} }
      b: articles(first: 100, filter: { tag: "japan" }) { ${articleFields} }
      c: articles(first: 100, filter: { person: "irina-sokolova" }) { ${articleFields} } }`,
  ],
  ['section.articles', `{ section(slug: "world") { articles(first: 100) { ${articleFields} } } }`],
  ['tag.articles', `{ tag(slug: "japan") { articles(first: 100) { ${articleFields} } } }`],
  [
    'person.articles (author)',
    `{ person(slug: "elliot-fairbanks") { articles(first: 100) { ${articleFields} } } }`,
  ],
  [
    'person.mentionedIn',
    `{ person(slug: "irina-sokolova") { mentionedIn(first: 100) { ${articleFields} } } }`,
  ],
  ['person.quotes', `{ person(slug: "irina-sokolova") { quotes(first: 100) { ${quoteFields} } } }`],
  [
    'quotes(filter: article)',
    `{ quotes(first: 100, filter: { article: "${TAKEN_DOWN}" }) { ${quoteFields} } }`,
  ],
  ['quotes(filter: query)', `{ quotes(first: 100, filter: { query: "Kurils" }) { ${quoteFields} } }`],
  ['search + totalCount', '{ search(query: "Kuril", first: 100) { totalCount edges { node { slug } } } }'],
  [
    'relatedArticles',
    '{ article(slug: "japans-record-defense-budget-meets-a-bolder-north-korea") { relatedArticles(first: 20) { article { slug } } } }',
  ],
  [
    'relatedLinks.target',
    '{ article(slug: "japans-record-defense-budget-meets-a-bolder-north-korea") { relatedLinks { target { slug } } } }',
  ],
];

describeEachEngine('visibility of a taken-down article', (engine) => {
  let database: TestDatabase;
  let gateway: TestGateway;
  const editorViewer: Viewer = {
    ...previewViewer,
    partnerId: 2,
    partnerName: 'desk',
    scopes: new Set(['editor']),
  };
  beforeAll(async () => {
    database = await engine.open({ demo: true });
    gateway = await startTestGateway(database, {
      resolveViewer: async (req) =>
        ({ preview: previewViewer, editor: editorViewer })[req.get('x-test-viewer') ?? ''] ?? anonymousViewer,
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await database?.drop();
  });

  it('is gone on every entry point for everyone but editors once taken down', async () => {
    const { body } = await gateway.graphql(`{ article(slug: "${TAKEN_DOWN}") { id url quotes { id } } }`, {
      headers: { 'x-test-viewer': 'editor' },
    });
    const found = body.data!['article'];
    const rows = takedownRows({
      articleId: found.id,
      url: found.url,
      quoteIds: found.quotes.map((q: { id: string }) => q.id),
    });
    const pages = [
      `/articles/${TAKEN_DOWN}`,
      `/embed/articles/${TAKEN_DOWN}`,
      `/embed/quotes/${found.quotes[0].id}`,
      `/quotes/${found.quotes[0].id}`,
    ];
    const oembed = `/oembed?url=${encodeURIComponent(found.url)}`;
    const reach = async (query: string, variables: Record<string, unknown> | undefined, viewer: string) => {
      const response = await gateway.graphql(query, {
        ...(variables ? { variables } : {}),
        headers: { 'x-test-viewer': viewer },
      });
      return { errors: response.body.errors, text: JSON.stringify(response.body.data) };
    };
    const failures: string[] = [];
    for (const [name, query, variables] of rows) {
      const before = await reach(query, variables, 'anonymous');
      if (before.errors || !before.text.includes(TAKEN_DOWN))
        failures.push(`${name}: does not reach it before the takedown`);
    }
    for (const path of [...pages, oembed]) {
      if ((await fetch(`${gateway.origin}${path}`)).status !== 200)
        failures.push(`${path}: not 200 before the takedown`);
    }

    const takedown = await gateway.graphql(
      `mutation { takeDownArticle(article: { slug: "${TAKEN_DOWN}" }, reason: "Court order") { revision } }`,
      { headers: { 'x-test-viewer': 'editor' } },
    );
    expect(takedown.body.errors).toBeUndefined();

    for (const [name, query, variables] of rows) {
      for (const viewer of ['anonymous', 'preview']) {
        const after = await reach(query, variables, viewer);
        if (after.errors) failures.push(`${name} [${viewer}]: ${JSON.stringify(after.errors)}`);
        if (after.text.includes(TAKEN_DOWN)) failures.push(`${name} [${viewer}]: still reaches it`);
      }
    }
    for (const [name, query, variables] of rows.slice(0, 4)) {
      const editor = await reach(query, variables, 'editor');
      if (!editor.text.includes(TAKEN_DOWN)) failures.push(`${name} [editor]: lost the tombstone`);
    }
    for (const viewer of ['anonymous', 'preview']) {
      for (const path of pages) {
        const response = await fetch(`${gateway.origin}${path}`, { headers: { 'x-test-viewer': viewer } });
        const text = await response.text();
        if (response.status !== 410) failures.push(`${path} [${viewer}]: ${response.status}, expected 410`);
        if (text.includes(TAKEN_DOWN_HEADLINE)) failures.push(`${path} [${viewer}]: the headline leaked`);
      }
      const response = await fetch(`${gateway.origin}${oembed}`, { headers: { 'x-test-viewer': viewer } });
      if (response.status !== 404) failures.push(`oEmbed [${viewer}]: ${response.status}, expected 404`);
    }
    expect(failures).toEqual([]);
  });
});
