import { createHash } from 'node:crypto';
import { parse } from 'graphql';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ingestArticle } from '../src/ingest/ingest-article.ts';
import { CacheHints, type CachePolicy } from '../src/cache/cache-policy.ts';
import { listenForContentChanges } from '../src/cache/content-changes.ts';
import { redisPrefix } from '../src/cache/response-cache-store.ts';
import { cacheableRequestOf, responseCacheKey } from '../src/cache/response-cache.ts';
import { buildCurrentSchema } from '../src/graphql/schema-snapshot.ts';
import {
  cacheTags,
  CONTENT_CHANGED_CHANNEL,
  decodeContentChange,
  encodeContentChange,
  MAX_NOTIFY_PAYLOAD_BYTES,
  type ContentChange,
} from '../src/shared/cache-tags.ts';
import { createLogger } from '../src/shared/logger.ts';
import { anonymousViewer, editorViewer, type Viewer } from '../src/shared/viewer.ts';
import { makePartner } from './helpers/embedding.ts';
import { describePostgres, pgliteEngine, postgresAvailable, type TestDatabase } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';
import { useGateway } from './helpers/use-gateway.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const partner = (partnerId: number, scopes: Viewer['scopes'] = new Set()): Viewer => ({
  ...anonymousViewer,
  kind: 'partner',
  partnerId,
  partnerName: `partner ${partnerId}`,
  scopes,
});
const PUBLIC_POLICY: CachePolicy = { maxAge: 300, scope: 'PUBLIC', rights: [] };
const BODY_POLICY: CachePolicy = { maxAge: 300, scope: 'PUBLIC', rights: ['BODY'] };
const PRIVATE_POLICY: CachePolicy = { maxAge: 300, scope: 'PRIVATE', rights: [] };

describe('responseCacheKey', () => {
  const query = '{ article(slug: "a") { headline } }';
  const request = (params: Record<string, unknown>) => cacheableRequestOf(params)!;
  const key = (params: Record<string, unknown>, viewer = anonymousViewer, policy = PUBLIC_POLICY) =>
    responseCacheKey(request(params), viewer, policy);

  it('is the same whatever the order of the variables', () => {
    expect(key({ query, variables: '{"a":1,"b":{"c":2,"d":3}}' })).toBe(
      key({ query, variables: '{"b":{"d":3,"c":2},"a":1}' }),
    );
  });

  it('differs between visibilities, and between anonymous callers and partners', () => {
    const keys = new Set([
      key({ query }),
      key({ query }, editorViewer),
      key({ query }, { ...anonymousViewer, scopes: new Set(['preview']) }),
      key({ query }, partner(1, new Set(['body']))),
    ]);
    expect(keys.size).toBe(4);
  });

  it('holds the body right only when the operation selects a field that needs it', () => {
    const withBody = partner(1, new Set(['body']));
    const withoutBody = partner(2);
    expect(key({ query }, withBody)).toBe(key({ query }, withoutBody));
    expect(key({ query }, withBody, BODY_POLICY)).not.toBe(key({ query }, withoutBody, BODY_POLICY));
    expect(key({ query }, withBody, BODY_POLICY)).toBe(
      key({ query }, partner(3, new Set(['body'])), BODY_POLICY),
    );
  });

  it('holds the partner only when the operation selects a field that names the caller', () => {
    expect(key({ query }, partner(1), PRIVATE_POLICY)).not.toBe(key({ query }, partner(2), PRIVATE_POLICY));
    expect(key({ query }, partner(1))).toBe(key({ query }, partner(2)));
  });

  it('gives an APQ hash-only request the key of the full query', () => {
    const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256(query) } });
    expect(key({ extensions })).toBe(key({ query }));
    expect(key({ query, extensions })).toBe(key({ query }));
  });

  it('differs between variables and operation names', () => {
    const keys = new Set([
      key({ query, variables: '{"slug":"a"}' }),
      key({ query, variables: '{"slug":"b"}' }),
      key({ query, variables: '{"slug":"a"}', operationName: 'A' }),
    ]);
    expect(keys.size).toBe(3);
  });

  it('leaves malformed requests, and an APQ hash that is not its query’s, to Apollo', () => {
    expect(cacheableRequestOf({ query, variables: '{not json' })).toBeUndefined();
    expect(cacheableRequestOf({})).toBeUndefined();
    const wrongHash = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256('{ other }') } });
    expect(cacheableRequestOf({ query, extensions: wrongHash })).toBeUndefined();
  });
});

describe('@cacheControl policies', () => {
  const schema = buildCurrentSchema();
  const hints = new CacheHints(schema);
  const policyOf = (source: string) => hints.policyOf(parse(source));

  it('gives an article 300 s and search 60 s, the lowest of everything selected', () => {
    expect(policyOf('{ article(slug: "a") { headline section { name } tags { name } } }')).toEqual(
      PUBLIC_POLICY,
    );
    expect(policyOf('{ search(query: "a") { totalCount edges { rank node { headline } } } }').maxAge).toBe(
      60,
    );
    expect(
      policyOf('{ article(slug: "a") { headline } search(query: "a") { nodes { headline } } }').maxAge,
    ).toBe(60);
  });

  it('lets connections, edges and blocks inherit from the field that returns them', () => {
    expect(
      policyOf('{ articles(first: 2) { edges { cursor node { headline } } pageInfo { hasNextPage } } }'),
    ).toEqual(PUBLIC_POLICY);
    expect(
      policyOf('{ section(slug: "a") { articles { nodes { people { name } quotes { text } } } } }').maxAge,
    ).toBe(300);
  });

  it('gives Query.node and Query.nodes the hints of the types they may return', () => {
    expect(policyOf('{ node(id: "x") { id ... on Article { headline } } }')).toEqual(PUBLIC_POLICY);
    expect(policyOf('{ nodes(ids: ["x"]) { id } }')).toEqual(PUBLIC_POLICY);
  });

  it('marks Article.body as depending on the body right, through fragments too', () => {
    expect(policyOf('{ article(slug: "a") { headline body { __typename } } }')).toEqual(BODY_POLICY);
    expect(
      policyOf('query { article(slug: "a") { ...F } } fragment F on Article { body { __typename } }').rights,
    ).toEqual(['BODY']);
  });

  it('marks embed snippets and iframe URLs as private: they name the partner', () => {
    expect(policyOf('{ article(slug: "a") { embed { iframeUrl } } }')).toEqual(PRIVATE_POLICY);
    expect(policyOf('{ article(slug: "a") { embed { width height oembedUrl } } }')).toEqual(PUBLIC_POLICY);
  });

  it('does not cache introspection, a bare __typename, or fields the schema does not have', () => {
    expect(policyOf('{ __schema { queryType { name } } }').maxAge).toBe(0);
    expect(policyOf('{ article(slug: "a") { headline } __type(name: "Article") { name } }').maxAge).toBe(0);
    expect(policyOf('{ __typename }').maxAge).toBe(0);
    expect(policyOf('{ article(slug: "a") { nope } }').maxAge).toBe(0);
  });

  it('has a hint on every object type the API returns, so none is uncacheable by omission', () => {
    const unhinted = Object.values(schema.getTypeMap()).filter(
      (type) =>
        'getFields' in type &&
        !('getValues' in type) &&
        type.astNode?.kind === 'ObjectTypeDefinition' &&
        type.name !== 'Query' &&
        // Mutations run over POST only and are never stored: their root has nothing to hint.
        type.name !== 'Mutation' &&
        // Subscriptions run over WebSocket only, never through the response cache.
        type.name !== 'Subscription' &&
        ![type.astNode, ...type.extensionASTNodes].some((node) =>
          node?.directives?.some((directive) => directive.name.value === 'cacheControl'),
        ),
    );
    expect(unhinted.map((type) => type.name)).toEqual([]);
  });
});

describe('content change notifications', () => {
  it('carry tags as a JSON array, and read anything else as "everything"', () => {
    const payload = encodeContentChange([cacheTags.article(1), cacheTags.allArticles, cacheTags.article(1)])!;
    expect(decodeContentChange(payload)).toEqual({ kind: 'tags', tags: ['article:1', 'articles'] });
    expect(decodeContentChange('12345')).toEqual({ kind: 'everything', id: '12345' });
    expect(decodeContentChange('[not json')).toEqual({ kind: 'everything', id: undefined });
  });

  it('do not carry tags that would not fit in one Postgres notification', () => {
    const many = Array.from({ length: 1000 }, (_, index) => cacheTags.article(index));
    expect(Buffer.byteLength(JSON.stringify(many))).toBeGreaterThan(MAX_NOTIFY_PAYLOAD_BYTES);
    expect(encodeContentChange(many)).toBeUndefined();
  });
});

// The cache listens for Postgres notifications; on PGlite it is off.
describePostgres('listening for content changes', (engine) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await engine.open();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('tells an answer computed across a change of its tags from one that was not', async () => {
    const heard: ContentChange[] = [];
    const changes = await listenForContentChanges({
      databaseUrl: database.url!,
      logger: createLogger('silent'),
      onChange: (change) => heard.push(change),
    });
    try {
      expect(changes.isListening()).toBe(true);
      const started = changes.position();
      const payload = encodeContentChange([cacheTags.article(1)]);
      await sql`select pg_notify(${CONTENT_CHANGED_CHANNEL}, ${payload})`.execute(database.handle.db);
      await expect.poll(() => changes.position()).toBe(started + 1);
      expect(changes.changedSince(started, new Set([cacheTags.article(1), cacheTags.allArticles]))).toBe(
        true,
      );
      expect(changes.changedSince(started, new Set([cacheTags.article(2)]))).toBe(false);
      expect(changes.changedSince(changes.position(), new Set([cacheTags.article(1)]))).toBe(false);

      // Any writer other than ingest: the statement triggers announce everything.
      await sql`update sections set name = name`.execute(database.handle.db);
      await expect.poll(() => changes.position()).toBe(started + 2);
      expect(heard.at(-1)).toMatchObject({ kind: 'everything' });
      expect(changes.changedSince(started + 1, new Set(['anything']))).toBe(true);
      expect(await changes.nextEmbargoLift()).toBeNull();
    } finally {
      await changes.close();
    }
  });

  it('hears from ingest exactly what it touched, once per change, before and after', async () => {
    const heard: ContentChange[] = [];
    const changes = await listenForContentChanges({
      databaseUrl: database.url!,
      logger: createLogger('silent'),
      onChange: (change) => heard.push(change),
    });
    try {
      const article = makeArticle({ slug: 'announced-story', publishedAt: '2099-06-01T00:00:00Z' });
      const { articleId } = await ingestArticle(database.handle.db, article);
      await expect.poll(() => heard.length).toBe(2);
      const created = heard[1]!;
      expect(created.kind).toBe('tags');
      const tags = created.kind === 'tags' ? created.tags : [];
      const ids = async (table: 'sections' | 'tags' | 'people', slug: string) =>
        (
          await database.handle.db
            .selectFrom(table)
            .select('id')
            .where('slug', '=', slug)
            .executeTakeFirstOrThrow()
        ).id;
      const world = await ids('sections', 'world');
      expect(tags).toEqual(
        expect.arrayContaining([
          cacheTags.allArticles,
          cacheTags.article(articleId),
          cacheTags.articleSlug(article.slug),
          cacheTags.articlesOf('section', world),
          cacheTags.articlesOfSlug('section', 'world'),
          cacheTags.articlesOf('tag', await ids('tags', 'testing')),
          cacheTags.articlesOf('person', await ids('people', 'sam-source')),
          // New rows: lists of every section, and lookups that found none, change too.
          cacheTags.term('section', world),
          cacheTags.allTerms('section'),
        ]),
      );
      expect(await changes.nextEmbargoLift()).toBe(Date.parse('2099-06-01T00:00:00Z'));

      // Moved to another section: both fronts change; the unchanged person rows are not announced.
      await ingestArticle(database.handle.db, { ...article, section: { slug: 'asia', name: 'Asia' } });
      await expect.poll(() => heard.length).toBe(3);
      const moved = heard[2]!.kind === 'tags' ? heard[2]!.tags : [];
      expect(moved).toEqual(
        expect.arrayContaining([
          cacheTags.articlesOf('section', world),
          cacheTags.articlesOf('section', await ids('sections', 'asia')),
        ]),
      );
      expect(moved).not.toContain(cacheTags.term('person', await ids('people', 'sam-source')));
      expect(moved).not.toContain(cacheTags.term('section', world));

      // Unchanged: nothing written, nothing announced.
      await ingestArticle(database.handle.db, { ...article, section: { slug: 'asia', name: 'Asia' } });
      await sql`select pg_notify(${CONTENT_CHANGED_CHANNEL}, '["marker"]')`.execute(database.handle.db);
      await expect.poll(() => heard.length).toBe(4);
      expect(heard[3]).toEqual({ kind: 'tags', tags: ['marker'] });
    } finally {
      await changes.close();
    }
  });
});

interface CachedAnswer {
  status: number;
  cache: string | null;
  etag: string | null;
  cacheControl: string | null;
  body: {
    data?: any;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
    extensions?: any;
  };
}

async function getFrom(
  gateway: TestGateway,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  params: Record<string, string> = {},
): Promise<CachedAnswer> {
  const search = new URLSearchParams({ query, variables: JSON.stringify(variables), ...params });
  const response = await fetch(`${gateway.origin}/graphql?${search}`, {
    headers: { 'apollo-require-preflight': 'true', ...headers },
  });
  const text = await response.text();
  return {
    status: response.status,
    cache: response.headers.get('x-cache'),
    etag: response.headers.get('etag'),
    cacheControl: response.headers.get('cache-control'),
    body: text === '' ? {} : JSON.parse(text),
  };
}

const ARTICLE = `query ($slug: String!) { article(slug: $slug) { headline status } }`;
const WITH_BODY = `query ($slug: String!) { article(slug: $slug) { headline body { __typename } } }`;
const FRONT = `query ($slug: String!) { section(slug: $slug) { articles(first: 5) { nodes { headline } } } }`;

describePostgres('the response cache', (engine) => {
  let database: TestDatabase;
  let gateway: TestGateway;
  const get = (...args: Parameters<typeof getFrom> extends [unknown, ...infer Rest] ? Rest : never) =>
    getFrom(gateway, ...args);
  const keyed = (key: string) => ({ 'x-api-key': key });

  beforeAll(async () => {
    database = await engine.open({ demo: true });
    gateway = await startTestGateway(database, { env: { DATABASE_URL: database.url! } });
  });
  afterAll(async () => {
    await gateway?.close();
    await database?.drop();
  });

  describe('metrics', () => {
    async function lookups(): Promise<{ hit: number; miss: number }> {
      const text = await (await fetch(`${gateway.origin}/metrics`)).text();
      const read = (result: string) =>
        Number(
          new RegExp(
            `^byline_cache_lookups_total\\{cache="response",result="${result}"\\} (\\d+)$`,
            'm',
          ).exec(text)?.[1] ?? 0,
        );
      return { hit: read('hit'), miss: read('miss') };
    }

    it('counts an uncached anonymous GET as one miss and its repeat as one hit', async () => {
      const variables = { slug: 'lookup-counting-unknown-slug' };
      const before = await lookups();
      expect((await get(ARTICLE, variables)).cache).toBe('MISS');
      const afterMiss = await lookups();
      expect(afterMiss).toEqual({ hit: before.hit, miss: before.miss + 1 });
      expect((await get(ARTICLE, variables)).cache).toBe('HIT');
      expect(await lookups()).toEqual({ hit: afterMiss.hit + 1, miss: afterMiss.miss });
    });
  });

  describe('headers', () => {
    it('answers a repeated GET from the cache, with the hints’ max-age, an ETag, and 304 on If-None-Match', async () => {
      const variables = { slug: 'kuril-islands-dispute-hardens' };
      const first = await get(ARTICLE, variables);
      expect(first).toMatchObject({ status: 200, cache: 'MISS', cacheControl: 'public, max-age=300' });
      expect(first.etag).toMatch(/^W\/"[0-9a-f]{32}"$/);
      const second = await get(ARTICLE, variables);
      expect(second.cache).toBe('HIT');
      expect(second.cacheControl).toMatch(/^public, max-age=(299|300)$/);
      expect(second.body.data).toEqual(first.body.data);
      expect(second.etag).toBe(first.etag);
      // A hit reports the query's cost as every response does.
      expect(second.body.extensions).toEqual({ cost: first.body.extensions.cost });
      const revalidated = await get(ARTICLE, variables, { 'if-none-match': first.etag! });
      expect(revalidated).toMatchObject({ status: 304, cache: 'HIT', body: {} });
    });

    it('gives search a shorter max-age than an article', async () => {
      const search = await get(`{ search(query: "korea", first: 2) { totalCount nodes { headline } } }`);
      expect(search).toMatchObject({ cache: 'MISS', cacheControl: 'public, max-age=60' });
      expect(
        (await get(`{ search(query: "korea", first: 2) { totalCount nodes { headline } } }`)).cache,
      ).toBe('HIT');
    });

    it('answers 304 on a miss too when the answer is the one the client holds', async () => {
      const first = await get(`{ section(slug: "analysis") { name } }`);
      // Another document, the same answer: a miss, with the same ETag.
      const other = await get(
        `query SectionName { section(slug: "analysis") { name } }`,
        {},
        {
          'if-none-match': first.etag!,
        },
      );
      expect(other).toMatchObject({ status: 304, cache: 'MISS', etag: first.etag });
    });

    it('tells HTTP caches that answers differ by partner key', async () => {
      const search = new URLSearchParams({ query: '{ sections { slug } }' });
      const response = await fetch(`${gateway.origin}/graphql?${search}`, {
        headers: { 'apollo-require-preflight': 'true' },
      });
      expect(response.headers.get('vary')?.toLowerCase()).toContain('authorization');
      expect(response.headers.get('vary')?.toLowerCase()).toContain('x-api-key');
    });

    it('runs no field tracing, even when a client asks for it', async () => {
      const answer = await get(`{ sections { slug } }`, {}, { 'apollo-federation-include-trace': 'ftv1' });
      expect(answer.status).toBe(200);
      expect(answer.body.extensions?.ftv1).toBeUndefined();
    });
  });

  it('answers an APQ hash-only GET from the entry its full query filled', async () => {
    const query = `query ($slug: String!) { section(slug: $slug) { name description } }`;
    const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256(query) } });
    const variables = { slug: 'analysis' };
    expect((await get(query, variables, {}, { extensions })).cache).toBe('MISS');
    const search = new URLSearchParams({ extensions, variables: JSON.stringify(variables) });
    const hashOnly = await fetch(`${gateway.origin}/graphql?${search}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(hashOnly.headers.get('x-cache')).toBe('HIT');
    expect(((await hashOnly.json()) as { data: any }).data.section.name).toBe('Analysis');
  });

  describe('drafts and embargoes', () => {
    let preview: { id: number; key: string };
    beforeAll(async () => {
      preview = await makePartner(database.handle.db, { name: 'Preview desk', scopes: ['preview', 'body'] });
    });

    for (const slug of [
      'draft-seoul-weighs-new-sanctions',
      'after-the-pact-where-the-korean-peninsula-goes-next',
    ]) {
      it(`never serves ${slug} to an anonymous caller, even once a preview caller's answer is cached`, async () => {
        const first = await get(ARTICLE, { slug }, keyed(preview.key));
        expect(first.body.data.article).not.toBeNull();
        expect(first.cacheControl).toBe('private, max-age=300');
        const second = await get(ARTICLE, { slug }, keyed(preview.key));
        expect(second).toMatchObject({ cache: 'HIT', body: { data: first.body.data } });
        for (const _ of [1, 2]) {
          const anonymous = await get(ARTICLE, { slug });
          expect(anonymous.body.data).toEqual({ article: null });
        }
      });
    }
  });

  describe('partner rights', () => {
    let withBody: { id: number; key: string };
    let alsoWithBody: { id: number; key: string };
    let headlinesOnly: { id: number; key: string };
    let frugal: { id: number; key: string };
    beforeAll(async () => {
      withBody = await makePartner(database.handle.db, { name: 'With body', scopes: ['body'] });
      alsoWithBody = await makePartner(database.handle.db, { name: 'Also with body', scopes: ['body'] });
      headlinesOnly = await makePartner(database.handle.db, { name: 'Headlines only' });
      frugal = await makePartner(database.handle.db, { name: 'Frugal', scopes: ['body'], costBudget: 1 });
    });

    const forbidden = (answer: CachedAnswer) => {
      expect(answer.cache).toBeNull();
      expect(answer.body.data.article.headline).toBeTruthy();
      expect(answer.body.data.article.body).toBeNull();
      expect(answer.body.errors?.map((error) => error.extensions?.['code'])).toEqual(['FORBIDDEN']);
    };

    it('never serves a body partner’s cached answer to a partner without the body right', async () => {
      const variables = { slug: 'us-aircraft-carrier-docks-in-south-korea' };
      const first = await get(WITH_BODY, variables, keyed(withBody.key));
      expect(first).toMatchObject({ cache: 'MISS', cacheControl: 'private, max-age=300' });
      expect(first.body.data.article.body.length).toBeGreaterThan(0);
      // Two partners with the same rights share the entry.
      expect(await get(WITH_BODY, variables, keyed(alsoWithBody.key))).toMatchObject({
        cache: 'HIT',
        body: { data: first.body.data },
      });
      for (const _ of [1, 2]) forbidden(await get(WITH_BODY, variables, keyed(headlinesOnly.key)));
      expect((await get(WITH_BODY, variables, keyed(withBody.key))).cache).toBe('HIT');
    });

    it('never serves a body-less answer to a partner with the body right', async () => {
      const variables = { slug: 'trash-balloons-across-the-korean-border' };
      for (const _ of [1, 2]) forbidden(await get(WITH_BODY, variables, keyed(headlinesOnly.key)));
      const answer = await get(WITH_BODY, variables, keyed(withBody.key));
      expect(answer.cache).toBe('MISS');
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data.article.body.length).toBeGreaterThan(0);
    });

    it('shares answers that select no body between partners with different rights, never with anonymous callers', async () => {
      const variables = { slug: 'us-aircraft-carrier-docks-in-south-korea' };
      expect((await get(ARTICLE, variables, keyed(headlinesOnly.key))).cache).toBe('MISS');
      expect((await get(ARTICLE, variables, keyed(withBody.key))).cache).toBe('HIT');
      expect((await get(ARTICLE, variables)).cache).toBe('MISS');
    });

    it('keeps embed URLs, which name the partner, apart per partner', async () => {
      const query = `query ($slug: String!) { article(slug: $slug) { embed { iframeUrl } } }`;
      const variables = { slug: 'kuril-islands-dispute-hardens' };
      const first = await get(query, variables, keyed(withBody.key));
      expect(first.body.data.article.embed.iframeUrl).toContain(`?partner=${withBody.id}`);
      const second = await get(query, variables, keyed(alsoWithBody.key));
      expect(second.cache).toBe('MISS');
      expect(second.body.data.article.embed.iframeUrl).toContain(`?partner=${alsoWithBody.id}`);
      expect((await get(query, variables, keyed(alsoWithBody.key))).cache).toBe('HIT');
    });

    it('still answers 401 to a bad key, and a cost limit the cached answer exceeds', async () => {
      const variables = { slug: 'us-aircraft-carrier-docks-in-south-korea' };
      expect((await get(WITH_BODY, variables, keyed('byl_nonsense'))).status).toBe(401);
      const overBudget = await get(WITH_BODY, variables, keyed(frugal.key));
      expect(overBudget.status).toBe(400);
      expect(overBudget.body.errors![0]!.extensions!['code']).toBe('QUERY_TOO_COMPLEX');
    });
  });

  it('does not store answers with errors, POSTs, or requests with cookies', async () => {
    const broken = `{ article { headline } }`;
    expect((await get(broken)).body.errors).toBeDefined();
    const again = await get(broken);
    expect(again.cache).toBeNull();
    expect(again.cacheControl).toBe('no-store');
    const variables = { slug: 'japans-record-defense-budget-meets-a-bolder-north-korea' };
    const posted = await gateway.graphql(ARTICLE, { variables });
    expect(posted.headers.get('x-cache')).toBeNull();
    for (const _ of [1, 2]) expect((await get(ARTICLE, variables, { cookie: 'session=1' })).cache).toBeNull();
    expect((await get(ARTICLE, variables)).cache).toBe('MISS');
  });

  describe('invalidation by ingest', () => {
    const edited = makeArticle({ slug: 'cache-edited-story', headline: 'Before the edit' });
    const unrelated = makeArticle({
      slug: 'cache-unrelated-story',
      headline: 'Untouched',
      section: { slug: 'elsewhere', name: 'Elsewhere' },
      tags: [{ slug: 'other-topic', name: 'Other topic' }],
    });
    beforeAll(async () => {
      for (const article of [edited, unrelated]) await ingestArticle(database.handle.db, article);
    });

    /** Polls until `check` holds for a response, and returns that response. */
    async function until(ask: () => Promise<CachedAnswer>, check: (answer: CachedAnswer) => boolean) {
      let last: CachedAnswer | undefined;
      await expect.poll(async () => check((last = await ask())), { timeout: 10_000 }).toBe(true);
      return last!;
    }

    it('drops the entries of an edited article, and only those', async () => {
      await until(
        () => get(ARTICLE, { slug: edited.slug }),
        (answer) => answer.cache === 'HIT',
      );
      await until(
        () => get(ARTICLE, { slug: unrelated.slug }),
        (answer) => answer.cache === 'HIT',
      );
      await ingestArticle(database.handle.db, { ...edited, headline: 'After the edit' });
      const fresh = await until(
        () => get(ARTICLE, { slug: edited.slug }),
        (answer) => answer.body.data.article.headline === 'After the edit',
      );
      expect(fresh.cache).toBe('MISS');
      expect(await get(ARTICLE, { slug: unrelated.slug })).toMatchObject({
        cache: 'HIT',
        body: { data: { article: { headline: 'Untouched', status: 'PUBLISHED' } } },
      });
    });

    it('drops a section front when a new article enters its section, not another section’s', async () => {
      await until(
        () => get(FRONT, { slug: 'world' }),
        (answer) => answer.cache === 'HIT',
      );
      await until(
        () => get(FRONT, { slug: 'elsewhere' }),
        (answer) => answer.cache === 'HIT',
      );
      await ingestArticle(
        database.handle.db,
        makeArticle({
          slug: 'cache-new-story',
          headline: 'Newest in World',
          publishedAt: new Date().toISOString(),
        }),
      );
      const fresh = await until(
        () => get(FRONT, { slug: 'world' }),
        (answer) => answer.body.data.section.articles.nodes[0].headline === 'Newest in World',
      );
      expect(fresh.cache).toBe('MISS');
      expect((await get(FRONT, { slug: 'elsewhere' })).cache).toBe('HIT');
    });

    it('serves a draft once ingest publishes it, after caching it as not found', async () => {
      const draft = makeArticle({ slug: 'cache-soon-published', status: 'draft', publishedAt: undefined });
      await ingestArticle(database.handle.db, draft);
      await until(
        () => get(ARTICLE, { slug: draft.slug }),
        (answer) => answer.cache === 'HIT',
      );
      expect((await get(ARTICLE, { slug: draft.slug })).body.data.article).toBeNull();
      await ingestArticle(database.handle.db, {
        ...draft,
        status: 'published',
        publishedAt: '2024-05-01T00:00:00Z',
      });
      await until(
        () => get(ARTICLE, { slug: draft.slug }),
        (answer) => answer.body.data.article !== null,
      );
    });

    it('drops the pages that show a person when another article renames them', async () => {
      const page = `query ($slug: String!) { article(slug: $slug) { people { name } } }`;
      await until(
        () => get(page, { slug: unrelated.slug }),
        (answer) => answer.cache === 'HIT',
      );
      await until(
        () => get(ARTICLE, { slug: unrelated.slug }),
        (answer) => answer.cache === 'HIT',
      );
      await ingestArticle(
        database.handle.db,
        makeArticle({
          slug: 'cache-renames-someone',
          people: [{ slug: 'sam-source', name: 'Samantha Source' }],
          quotes: [],
          body: [{ type: 'paragraph', text: 'Renamed.' }],
          relatedLinks: [],
        }),
      );
      await until(
        () => get(page, { slug: unrelated.slug }),
        (answer) => answer.body.data.article.people[0].name === 'Samantha Source',
      );
      // Its headline query did not show the person: still cached.
      expect((await get(ARTICLE, { slug: unrelated.slug })).cache).toBe('HIT');
    });

    it('drops everything when an ingest touched more than one notification can name', async () => {
      await until(
        () => get(ARTICLE, { slug: unrelated.slug }),
        (answer) => answer.cache === 'HIT',
      );
      const tags = Array.from({ length: 40 }, (_, index) => ({
        slug: `${'t'.repeat(150)}-${index}`,
        name: `Tag ${index}`,
      }));
      await ingestArticle(database.handle.db, makeArticle({ slug: 'cache-many-tags', tags }));
      await until(
        () => get(ARTICLE, { slug: unrelated.slug }),
        (answer) => answer.cache === 'MISS',
      );
    });
  });
});

describePostgres('the response cache around an embargo', (engine) => {
  let database: TestDatabase;
  let gateway: TestGateway;

  beforeAll(async () => {
    database = await engine.open();
    gateway = await startTestGateway(database, { env: { DATABASE_URL: database.url! } });
  });
  afterAll(async () => {
    await gateway?.close();
    await database?.drop();
  });

  it('does not serve an answer computed before an embargo lifts after it', async () => {
    const lift = Date.now() + 6000;
    const embargoed = makeArticle({ slug: 'cache-embargoed', publishedAt: new Date(lift).toISOString() });
    await ingestArticle(database.handle.db, embargoed);
    const variables = { slug: embargoed.slug };
    // Cached while embargoed, no longer than until the embargo lifts.
    for (const [query, vars] of [
      [ARTICLE, variables],
      [FRONT, { slug: 'world' }],
    ] as const) {
      // The first answers may come before the gateway heard of the ingest: those are dropped when it does.
      let cached: CachedAnswer | undefined;
      await expect
        .poll(async () => (cached = await getFrom(gateway, query, vars)).cache, { timeout: 5000 })
        .toBe('HIT');
      expect(Number(/max-age=(\d+)/.exec(cached!.cacheControl!)![1])).toBeLessThanOrEqual(6);
    }
    expect((await getFrom(gateway, ARTICLE, variables)).body.data).toEqual({ article: null });
    expect((await getFrom(gateway, FRONT, { slug: 'world' })).body.data.section.articles.nodes).toEqual([]);

    await vi.waitUntil(() => Date.now() >= lift, { timeout: 10_000, interval: 100 });
    const after = await getFrom(gateway, ARTICLE, variables);
    expect(after.cache).toBe('MISS');
    expect(after.body.data.article).toMatchObject({ headline: embargoed.headline, status: 'PUBLISHED' });
    expect((await getFrom(gateway, FRONT, { slug: 'world' })).body.data.section.articles.nodes).toEqual([
      { headline: embargoed.headline },
    ]);
  });
});

// With REDIS_URL the entries live in Redis, shared by every gateway on the same database.
const redisUrl = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
const redisAvailable = await (async () => {
  const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
})();
if (postgresAvailable && !redisAvailable) {
  console.warn(`Skipping the response cache on Redis: no Redis answered at ${redisUrl}`);
}

describePostgres('the response cache on Redis', (engine) => {
  if (!redisAvailable) return;
  let database: TestDatabase;
  let gateways: TestGateway[];
  let redis: Redis;
  let prefix: string;

  beforeAll(async () => {
    database = await engine.open({ demo: true });
    const env = { DATABASE_URL: database.url!, REDIS_URL: redisUrl };
    gateways = [await startTestGateway(database, { env }), await startTestGateway(database, { env })];
    redis = new Redis(redisUrl);
    prefix = redisPrefix(database.url!);
  });
  afterAll(async () => {
    for (const gateway of gateways ?? []) await gateway.close();
    if (redis) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
    await database?.drop();
  });

  it('shares entries between gateways and drops exactly the changed ones for all when ingest commits', async () => {
    const [first, second] = gateways as [TestGateway, TestGateway];
    const article = makeArticle({ slug: 'redis-cache-story', headline: 'Stored in Redis' });
    const unrelated = makeArticle({
      slug: 'redis-unrelated-story',
      headline: 'Untouched in Redis',
      section: { slug: 'elsewhere', name: 'Elsewhere' },
    });
    for (const document of [article, unrelated]) await ingestArticle(database.handle.db, document);
    for (const slug of [article.slug, unrelated.slug]) {
      await expect.poll(async () => (await getFrom(first, ARTICLE, { slug })).cache).toBe('HIT');
    }
    expect(await redis.exists(`${prefix}tag:${cacheTags.articleSlug(article.slug)}`)).toBe(1);
    // The other gateway never answered these requests, yet they are hits there: the entries are shared.
    expect(await getFrom(second, ARTICLE, { slug: article.slug })).toMatchObject({
      cache: 'HIT',
      body: { data: { article: { headline: 'Stored in Redis' } } },
    });

    await ingestArticle(database.handle.db, { ...article, headline: 'Edited in Redis' });
    for (const gateway of [first, second]) {
      await expect
        .poll(
          async () => (await getFrom(gateway, ARTICLE, { slug: article.slug })).body.data.article.headline,
        )
        .toBe('Edited in Redis');
      expect((await getFrom(gateway, ARTICLE, { slug: unrelated.slug })).cache).toBe('HIT');
    }
  });
});

describe('the response cache on PGlite', () => {
  const gateway = useGateway(pgliteEngine, { demo: true, env: { REDIS_URL: 'redis://127.0.0.1:1' } });

  it('is off, and a REDIS_URL does not stop the gateway from starting', async () => {
    const search = new URLSearchParams({ query: '{ sections { slug } }' });
    for (const _ of [1, 2]) {
      const response = await fetch(`${gateway.origin}/graphql?${search}`, {
        headers: { 'apollo-require-preflight': 'true' },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-cache')).toBeNull();
    }
  });
});
