import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestArticle } from '../src/ingest/ingest-article.ts';
import { redisPrefix, responseCacheKey } from '../src/server/response-cache.ts';
import { anonymousViewer, editorViewer } from '../src/shared/viewer.ts';
import { visibilityKey } from '../src/shared/visibility.ts';
import { engines, type TestDatabase } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

describe('responseCacheKey', () => {
  const query = '{ article(slug: "a") { headline } }';

  it('is the same whatever the order of the variables', () => {
    expect(responseCacheKey({ query, variables: '{"a":1,"b":{"c":2,"d":3}}' }, 'public')).toBe(
      responseCacheKey({ query, variables: '{"b":{"d":3,"c":2},"a":1}' }, 'public'),
    );
  });

  it('differs between visibility keys, so preview answers never reach the public', () => {
    expect(visibilityKey(anonymousViewer)).not.toBe(visibilityKey(editorViewer));
    expect(responseCacheKey({ query }, visibilityKey(anonymousViewer))).not.toBe(
      responseCacheKey({ query }, visibilityKey(editorViewer)),
    );
  });

  it('gives an APQ hash-only request the key of the full query', () => {
    const hash = createHash('sha256').update(query).digest('hex');
    const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } });
    expect(responseCacheKey({ extensions }, 'public')).toBe(responseCacheKey({ query }, 'public'));
  });

  it('differs between variables and operation names', () => {
    const keys = new Set([
      responseCacheKey({ query, variables: '{"slug":"a"}' }, 'public'),
      responseCacheKey({ query, variables: '{"slug":"b"}' }, 'public'),
      responseCacheKey({ query, variables: '{"slug":"a"}', operationName: 'A' }, 'public'),
    ]);
    expect(keys.size).toBe(3);
  });

  it('leaves malformed requests to Apollo', () => {
    expect(responseCacheKey({ query, variables: '{not json' }, 'public')).toBeUndefined();
    expect(responseCacheKey({}, 'public')).toBeUndefined();
  });
});

// The cache listens for Postgres notifications; on PGlite it is off.
const postgres = engines.filter((engine) => engine.name === 'postgres');

describe.runIf(postgres.length > 0)('the response cache', () => {
  let database: TestDatabase;
  let gateway: TestGateway;
  const ARTICLE = `query ($slug: String!) { article(slug: $slug) { headline status } }`;

  beforeAll(async () => {
    database = await postgres[0]!.open();
    gateway = await startTestGateway(database, { demo: true, env: { DATABASE_URL: database.url! } });
  });
  afterAll(async () => {
    await gateway?.close();
    await database?.drop();
  });

  async function get(
    query: string,
    variables: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) {
    const search = new URLSearchParams({ query, variables: JSON.stringify(variables) });
    const response = await fetch(`${gateway.origin}/graphql?${search}`, {
      headers: { 'apollo-require-preflight': 'true', ...headers },
    });
    const text = await response.text();
    return {
      status: response.status,
      cache: response.headers.get('x-cache'),
      etag: response.headers.get('etag'),
      cacheControl: response.headers.get('cache-control'),
      body: text === '' ? undefined : (JSON.parse(text) as { data?: any; errors?: unknown[] }),
    };
  }

  it('answers a repeated GET from the cache, with Cache-Control and ETag, and 304 on If-None-Match', async () => {
    const variables = { slug: 'kuril-islands-dispute-hardens' };
    const first = await get(ARTICLE, variables);
    expect(first.cache).toBe('MISS');
    expect(first.cacheControl).toBe('public, max-age=60');
    const second = await get(ARTICLE, variables);
    expect(second.cache).toBe('HIT');
    expect(second.body!.data).toEqual(first.body!.data);
    expect(second.etag).toBe(first.etag);
    const revalidated = await get(ARTICLE, variables, { 'if-none-match': first.etag! });
    expect(revalidated.status).toBe(304);
  });

  it('answers an APQ hash-only GET from the entry its full query filled', async () => {
    const query = `{ section(slug: "analysis") { name } }`;
    const extensions = JSON.stringify({
      persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') },
    });
    const headers = { 'apollo-require-preflight': 'true' };
    const full = await fetch(`${gateway.origin}/graphql?${new URLSearchParams({ query, extensions })}`, {
      headers,
    });
    expect(full.headers.get('x-cache')).toBe('MISS');
    const hashOnly = await fetch(`${gateway.origin}/graphql?${new URLSearchParams({ extensions })}`, {
      headers,
    });
    expect(hashOnly.headers.get('x-cache')).toBe('HIT');
    expect(await hashOnly.json()).toEqual({ data: { section: { name: 'Analysis' } } });
  });

  it('never serves a draft to an anonymous caller', async () => {
    const variables = { slug: 'draft-seoul-weighs-new-sanctions' };
    for (const _ of [1, 2]) {
      const answer = await get(ARTICLE, variables);
      expect(answer.body!.data).toEqual({ article: null });
    }
  });

  it('never stores or serves an answer for a request with credentials', async () => {
    const variables = { slug: 'us-aircraft-carrier-docks-in-south-korea' };
    const withKey = await get(ARTICLE, variables, { authorization: 'Bearer some-partner-key' });
    expect(withKey.cache).toBeNull();
    // Had the credentialed answer been stored, this anonymous request would be a hit.
    expect((await get(ARTICLE, variables)).cache).toBe('MISS');
    expect((await get(ARTICLE, variables, { authorization: 'Bearer some-partner-key' })).cache).toBeNull();
  });

  it('does not store answers with errors, nor POSTs', async () => {
    const broken = `{ article { headline } }`;
    expect((await get(broken, {})).body!.errors).toBeDefined();
    expect((await get(broken, {})).cache).toBeNull();
    const posted = await gateway.graphql(ARTICLE, { variables: { slug: 'kuril-islands-dispute-hardens' } });
    expect(posted.headers.get('x-cache')).toBeNull();
  });

  it('drops what it holds when ingest commits a change', async () => {
    const article = makeArticle({ slug: 'cache-invalidation-story', headline: 'Before the edit' });
    await ingestArticle(database.handle.db, article);
    const variables = { slug: article.slug };
    await expect.poll(async () => (await get(ARTICLE, variables)).cache).toBe('HIT');
    expect((await get(ARTICLE, variables)).body!.data.article.headline).toBe('Before the edit');

    await ingestArticle(database.handle.db, { ...article, headline: 'After the edit' });
    await expect
      .poll(async () => (await get(ARTICLE, variables)).body!.data.article.headline)
      .toBe('After the edit');
    // And the section front that lists it, cached before, is dropped too.
    const FRONT = `query ($slug: String!) { section(slug: $slug) { articles(first: 5) { nodes { headline } } } }`;
    await expect.poll(async () => (await get(FRONT, { slug: 'world' })).cache).toBe('HIT');
    await ingestArticle(
      database.handle.db,
      makeArticle({
        slug: 'cache-new-story',
        headline: 'Newest in World',
        publishedAt: new Date(Date.now() - 60_000).toISOString(),
      }),
    );
    await expect
      .poll(async () => (await get(FRONT, { slug: 'world' })).body!.data.section.articles.nodes[0].headline)
      .toBe('Newest in World');
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

describe.runIf(postgres.length > 0 && redisAvailable)('the response cache on Redis', () => {
  let database: TestDatabase;
  let gateways: TestGateway[];
  let redis: Redis;
  let prefix: string;
  const QUERY = `query ($slug: String!) { article(slug: $slug) { headline } }`;

  beforeAll(async () => {
    database = await postgres[0]!.open();
    const env = { DATABASE_URL: database.url!, REDIS_URL: redisUrl };
    gateways = [
      await startTestGateway(database, { demo: true, env }),
      await startTestGateway(database, { env }),
    ];
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

  async function get(gateway: TestGateway, slug: string) {
    const search = new URLSearchParams({ query: QUERY, variables: JSON.stringify({ slug }) });
    const response = await fetch(`${gateway.origin}/graphql?${search}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    return { cache: response.headers.get('x-cache'), body: (await response.json()) as { data: any } };
  }

  it('shares entries between gateways and drops them for all when ingest commits a change', async () => {
    const [first, second] = gateways as [TestGateway, TestGateway];
    const article = makeArticle({ slug: 'redis-cache-story', headline: 'Stored in Redis' });
    await ingestArticle(database.handle.db, article);
    await expect.poll(async () => (await get(first, article.slug)).cache).toBe('HIT');
    expect(await redis.keys(`${prefix}*:*`)).not.toHaveLength(0);
    // The other gateway never answered this request, yet it is a hit there: the entry is shared.
    expect(await get(second, article.slug)).toEqual({
      cache: 'HIT',
      body: { data: { article: { headline: 'Stored in Redis' } } },
    });

    await ingestArticle(database.handle.db, { ...article, headline: 'Edited in Redis' });
    for (const gateway of [first, second]) {
      await expect
        .poll(async () => (await get(gateway, article.slug)).body.data.article.headline)
        .toBe('Edited in Redis');
    }
  });
});

describe('the response cache on PGlite', () => {
  it('is off, and a REDIS_URL does not stop the gateway from starting', async () => {
    const database = await engines.find((engine) => engine.name === 'pglite')!.open();
    const gateway = await startTestGateway(database, {
      demo: true,
      env: { REDIS_URL: 'redis://127.0.0.1:1' },
    });
    try {
      const search = new URLSearchParams({ query: '{ sections { slug } }' });
      for (const _ of [1, 2]) {
        const response = await fetch(`${gateway.origin}/graphql?${search}`, {
          headers: { 'apollo-require-preflight': 'true' },
        });
        expect(response.status).toBe(200);
        expect(response.headers.get('x-cache')).toBeNull();
      }
    } finally {
      await gateway.close();
      await database.drop();
    }
  });
});
