import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { ingestPaths } from '../src/ingest/ingest-paths.ts';
import {
  buildOperationsManifest,
  defaultManifestPath,
  serializeManifest,
  sha256,
} from '../src/protection/operations-manifest.ts';
import { createLogger } from '../src/shared/logger.ts';
import { describeEachEngine, engines, type TestDatabase } from './helpers/engines.ts';
import { makeArticle, writeArticleFiles } from './helpers/fixtures.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';
import { partnersById, testPartner } from './helpers/viewers.ts';

const SLUG = 'russia-north-korea-pact-major-loss-for-us-allies';
const REDIS_URL = 'redis://127.0.0.1:6379';

const operation = (name: string) => buildOperationsManifest().operations.find((op) => op.name === name)!;

async function get(origin: string, params: Record<string, unknown>, headers: Record<string, string> = {}) {
  const search = new URLSearchParams(
    Object.entries(params).map(([key, value]): [string, string] => [
      key,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  );
  const response = await fetch(`${origin}/graphql?${search}`, {
    headers: { 'apollo-require-preflight': 'true', ...headers },
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

describe('protection settings', () => {
  it('defaults to the documented limits', () => {
    expect(loadConfig({})).toMatchObject({
      maxDepth: 10,
      maxAliases: 15,
      maxDirectives: 10,
      maxTokens: 2000,
      maxValidationErrors: 5,
      maxBodyBytes: 102_400,
      costBudget: 5000,
      costDefaultPageSize: 20,
      costListSize: 5,
      operations: 'any',
      persistedQueries: true,
      rateLimitPerMinute: 600,
      redisUrl: undefined,
      shutdownGraceMs: 10_000,
    });
  });

  it('names each bad limit and what it expected', () => {
    expect(() =>
      loadConfig({ BYLINE_MAX_DEPTH: '0', BYLINE_OPERATIONS: 'allowlist', REDIS_URL: 'http://cache:6379' }),
    ).toThrow(
      new ConfigError(
        [
          'Invalid configuration:',
          '  BYLINE_MAX_DEPTH: expected an integer from 1 to 1000, got "0"',
          '  BYLINE_OPERATIONS: expected one of any, safelist, got "allowlist"',
          '  REDIS_URL: expected a URL with protocol redis: or rediss:, got "http://cache:6379"',
        ].join('\n'),
      ),
    );
  });
});

describe('operations manifest', () => {
  it('is current with operations/examples/*.graphql (run `npm run operations:manifest`)', () => {
    expect(readFileSync(defaultManifestPath, 'utf8')).toBe(serializeManifest(buildOperationsManifest()));
  });

  it('holds the article page, section front and person page, each under its sha256', () => {
    const manifest = buildOperationsManifest();
    expect(manifest.operations.map((op) => op.name)).toEqual([
      'ArticlePage',
      'PartnerEmbed',
      'PersonPage',
      'Search',
      'SectionFront',
    ]);
    for (const op of manifest.operations) expect(op.id).toBe(sha256(op.body));
  });
});

describeEachEngine('query cost', (engine) => {
  let database: TestDatabase;
  let gateway: TestGateway;
  beforeAll(async () => {
    database = await engine.open({ demo: true });
    gateway = await startTestGateway(database, {
      resolveViewer: partnersById([
        testPartner(7, { costBudget: 50 }),
        testPartner(8, { costBudget: 100_000 }),
      ]),
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await database?.drop();
  });

  it('reports extensions.cost { requested, limit } on a successful response', async () => {
    const { status, body } = await gateway.graphql(
      '{ articles(first: 5) { totalCount nodes { headline } } }',
    );
    expect(status).toBe(200);
    // articles 1 + totalCount 1 + nodes 1 + 5 × headline 1
    expect(body.extensions!['cost']).toEqual({ requested: 8, limit: 5000 });
  });

  it('multiplies connections nested in connections', async () => {
    const { body } = await gateway.graphql(
      '{ sections { articles(first: 10) { nodes { tags { slug } } } } }',
    );
    // sections 1 + 5 × (articles 1 + nodes 1 + 10 × (tags 1 + 5 × slug 1)): 5 for a plain list, first for a page
    expect(body.extensions!['cost']).toEqual({ requested: 1 + 5 * (2 + 10 * 6), limit: 5000 });
  });

  it('lets the real article page, section front and person page run within the anonymous budget', async () => {
    for (const [name, variables] of [
      ['ArticlePage', { slug: SLUG }],
      ['SectionFront', { slug: 'analysis' }],
      ['PersonPage', { slug: 'gerald-horne' }],
    ] as const) {
      const { status, body } = await gateway.graphql(operation(name).body, { variables });
      expect(body.errors, name).toBeUndefined();
      expect(status).toBe(200);
      const cost = body.extensions!['cost'] as { requested: number; limit: number };
      expect(cost.requested).toBeGreaterThan(10);
      expect(cost.requested).toBeLessThanOrEqual(cost.limit);
    }
  });

  it('holds a partner to its own budget', async () => {
    const query = '{ articles(first: 10) { nodes { headline tags { slug } } } }';
    const small = await gateway.graphql(query, { headers: { 'x-test-partner': '7' } });
    expect(small.status).toBe(400);
    expect(small.body.errors![0]!.extensions!['code']).toBe('QUERY_TOO_COMPLEX');
    expect(small.body.errors![0]!.message).toBe(
      'Query cost 72 exceeds the limit of 50; ask for fewer items (first/last) or fewer nested lists.',
    );
    expect(small.body.extensions!['cost']).toEqual({ requested: 72, limit: 50 });
    const large = await gateway.graphql('{ a: articles(first: 100) { nodes { tags { slug } } } }', {
      headers: { 'x-test-partner': '8' },
    });
    expect(large.body.errors).toBeUndefined();
    expect(large.body.extensions!['cost']).toEqual({ requested: 602, limit: 100_000 });
  });

  it('rejects over-budget queries before any resolver runs: no SQL is executed', async () => {
    const { body } = await gateway.graphql(
      '{ sections { articles(first: 100) { nodes { tags { slug name } quotes { text speakerName context } } } } }',
    );
    expect(body.errors![0]!.extensions!['code']).toBe('QUERY_TOO_COMPLEX');
    expect(body.data).toBeUndefined();
    // The debug extension counts statements run for this request.
    expect(body.extensions!['sql']).toEqual({ statements: 0, durationMs: 0, roundTrips: 0 });
  });
});

describe('introspection and suggestions', () => {
  let database: TestDatabase;
  const started: TestGateway[] = [];
  const start = async (env: Record<string, string>) => {
    const gateway = await startTestGateway(database, {
      env,
      resolveViewer: partnersById([
        testPartner(9, { scopes: ['developer'] }),
        testPartner(10, { scopes: ['preview'] }),
      ]),
    });
    started.push(gateway);
    return gateway;
  };
  beforeAll(async () => {
    database = await engines[0]!.open();
  });
  afterAll(async () => {
    for (const gateway of started) await gateway.close();
    await database?.drop();
  });
  const introspect = '{ __schema { queryType { name } } }';

  it('allows introspection and suggestions in development', async () => {
    const gateway = await start({ NODE_ENV: 'development' });
    expect((await gateway.graphql(introspect)).body.data).toEqual({
      __schema: { queryType: { name: 'Query' } },
    });
    const { body } = await gateway.graphql('{ articls { totalCount } }');
    expect(body.errors![0]!.message).toBe(
      'Cannot query field "articls" on type "Query". Did you mean "article" or "articles"?',
    );
  });

  it('refuses introspection in production, except to a key with the developer scope', async () => {
    const gateway = await start({ NODE_ENV: 'production' });
    const anonymous = await gateway.graphql(introspect);
    expect(anonymous.status).toBe(400);
    expect(anonymous.body.errors![0]!.extensions!['code']).toBe('INTROSPECTION_DISABLED');
    const previewOnly = await gateway.graphql(introspect, { headers: { 'x-test-partner': '10' } });
    expect(previewOnly.body.errors![0]!.extensions!['code']).toBe('INTROSPECTION_DISABLED');
    const developer = await gateway.graphql(introspect, { headers: { 'x-test-partner': '9' } });
    expect(developer.body).toMatchObject({ data: { __schema: { queryType: { name: 'Query' } } } });
    const { body } = await gateway.graphql('{ articls { totalCount } }');
    expect(body.errors![0]!.message).toBe('Cannot query field "articls" on type "Query".');
  });

  it('allows introspection in production with BYLINE_INTROSPECTION=true', async () => {
    const gateway = await start({ NODE_ENV: 'production', BYLINE_INTROSPECTION: 'true' });
    expect((await gateway.graphql(introspect)).body.data).toEqual({
      __schema: { queryType: { name: 'Query' } },
    });
  });
});

describe('persisted operations', () => {
  let database: TestDatabase;
  const started: TestGateway[] = [];
  beforeAll(async () => {
    database = await engines[0]!.open();
    await ingestPaths(database.handle.db, [(await import('../src/http/start-gateway.ts')).demoContentDir]);
  });
  afterAll(async () => {
    for (const gateway of started) await gateway.close();
    await database?.drop();
  });

  it('registers an operation by hash (APQ) and then serves a GET that carries only the hash', async () => {
    const gateway = await startTestGateway(database);
    started.push(gateway);
    const query = `{ article(slug: "${SLUG}") { headline } }`;
    const persistedQuery = { version: 1, sha256Hash: sha256(query) };
    const miss = await get(gateway.origin, { extensions: { persistedQuery } });
    expect(miss.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const register = await gateway.graphql(query, { headers: {} });
    expect(register.status).toBe(200);
    await fetch(`${gateway.origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, extensions: { persistedQuery } }),
    });
    const hit = await get(gateway.origin, { extensions: { persistedQuery } });
    expect(hit.status).toBe(200);
    expect(hit.body.data).toEqual({
      article: { headline: 'Russia-North Korea Pact Major Loss For US Allies in Region' },
    });
  });

  it('in safelist mode runs only manifest operations for anonymous callers', async () => {
    const gateway = await startTestGateway(database, {
      env: { BYLINE_OPERATIONS: 'safelist' },
      resolveViewer: partnersById([testPartner(11, {})]),
    });
    started.push(gateway);
    const adHoc = await gateway.graphql('{ articles { totalCount } }');
    expect(adHoc.status).toBe(400);
    expect(adHoc.body.errors![0]!.extensions!['code']).toBe('OPERATION_NOT_SAFELISTED');
    expect(adHoc.body.errors![0]!.message).toMatch(/is not in the operations safelist/);

    const page = operation('ArticlePage');
    const byText = await gateway.graphql(page.body, { variables: { slug: SLUG } });
    expect(byText.body.errors).toBeUndefined();
    expect(byText.body.data!.article.slug).toBe(SLUG);

    const byHash = await get(gateway.origin, {
      variables: { slug: SLUG },
      extensions: { persistedQuery: { version: 1, sha256Hash: page.id } },
    });
    expect(byHash.status).toBe(200);
    expect(byHash.body.data.article.slug).toBe(SLUG);

    const asPartner = await gateway.graphql('{ articles { totalCount } }', {
      headers: { 'x-test-partner': '11' },
    });
    expect(asPartner.body.errors).toBeUndefined();
    expect(asPartner.body.data!.articles.totalCount).toBeGreaterThan(0);
  });
  it('adds a partner’s submitted documents from a second manifest', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'byline-partner-ops-'));
    try {
      const document =
        'query PartnerHeadlines {\n  articles(first: 3) {\n    nodes {\n      headline\n    }\n  }\n}';
      await writeFile(path.join(dir, 'partner-headlines.graphql'), `${document}\n`);
      const manifestFile = path.join(dir, 'manifest.json');
      await writeFile(manifestFile, serializeManifest(buildOperationsManifest(dir)));
      const gateway = await startTestGateway(database, {
        env: {
          BYLINE_OPERATIONS: 'safelist',
          BYLINE_OPERATIONS_MANIFEST: `operations/manifest.json,${manifestFile}`,
        },
      });
      started.push(gateway);
      const partnerDocument = await gateway.graphql(document);
      expect(partnerDocument.body.errors).toBeUndefined();
      expect(partnerDocument.body.data!.articles.nodes).toHaveLength(3);
      const ours = await gateway.graphql(operation('PersonPage').body, {
        variables: { slug: 'gerald-horne' },
      });
      expect(ours.body.data!.person.slug).toBe('gerald-horne');
      const other = await gateway.graphql(
        'query PartnerHeadlines { articles(first: 4) { nodes { headline } } }',
      );
      expect(other.body.errors![0]!.extensions!['code']).toBe('OPERATION_NOT_SAFELISTED');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('rate limiting', () => {
  let database: TestDatabase;
  let redis: Redis | undefined;
  const started: TestGateway[] = [];
  beforeAll(async () => {
    database = await engines[0]!.open();
  });
  afterAll(async () => {
    for (const gateway of started) await gateway.close();
    await database?.drop();
    await redis?.quit();
  });

  async function exercise(env: Record<string, string>, partnerId: number) {
    const gateway = await startTestGateway(database, {
      env: { BYLINE_RATE_LIMIT_PER_MINUTE: '3', ...env },
      resolveViewer: partnersById([testPartner(partnerId, { rateLimitPerMinute: 5 })]),
    });
    started.push(gateway);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await gateway.graphql('{ __typename }')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await gateway.graphql('{ __typename }');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.body.errors![0]!.extensions!['code']).toBe('RATE_LIMITED');
    expect(limited.body.errors![0]!.message).toMatch(
      /^Rate limit exceeded: 3 requests per minute for this IP address; retry in \d+ s\.$/,
    );
    // A partner key has its own bucket and its own limit, whatever the IP's.
    const partnerStatuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      partnerStatuses.push(
        (await gateway.graphql('{ __typename }', { headers: { 'x-test-partner': String(partnerId) } }))
          .status,
      );
    }
    expect(partnerStatuses).toEqual([200, 200, 200, 200, 200, 429]);
    // Health checks are never limited.
    expect((await fetch(`${gateway.origin}/healthz`)).status).toBe(200);
  }

  it('limits per IP and per key in memory, with 429 and Retry-After', async () => {
    await exercise({}, 21);
  });

  it('limits per IP and per key in Redis when REDIS_URL is set', async (context) => {
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
    } catch (error) {
      console.warn(`[byline tests] Redis rate-limit test skipped: ${(error as Error).message}`);
      context.skip();
    }
    const partnerId = 100_000 + Math.floor(Math.random() * 1_000_000);
    await redis.del('byline:ratelimit:ip:127.0.0.1', 'byline:ratelimit:ip:::ffff:127.0.0.1');
    await exercise({ REDIS_URL }, partnerId);
    // The buckets live in Redis, shared by every instance.
    expect(await redis.exists(`byline:ratelimit:key:${partnerId}`)).toBe(1);
    await redis.del(
      `byline:ratelimit:key:${partnerId}`,
      'byline:ratelimit:ip:127.0.0.1',
      'byline:ratelimit:ip:::ffff:127.0.0.1',
    );
  });

  it('lets requests through, and logs it, when Redis is unreachable', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        callback();
      },
    });
    const gateway = await startTestGateway(database, {
      env: { BYLINE_RATE_LIMIT_PER_MINUTE: '1', REDIS_URL: 'redis://127.0.0.1:1' },
      logger: createLogger('warn', sink),
    });
    started.push(gateway);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await gateway.graphql('{ __typename }')).status);
    expect(statuses).toEqual([200, 200, 200]);
    // Once for the outage, not once per request.
    expect(lines.filter((line) => line.includes('Redis unreachable'))).toHaveLength(1);
  });
});

describe.runIf(engines.some((engine) => engine.name === 'postgres'))(
  'rate limits before the database',
  () => {
    let database: TestDatabase;
    let gateway: TestGateway;
    const BAD_KEY = `byl_${'0'.repeat(12)}_${'A'.repeat(43)}`;
    beforeAll(async () => {
      database = await engines.find((engine) => engine.name === 'postgres')!.open();
      gateway = await startTestGateway(database, {
        env: { BYLINE_FAILED_AUTH_PER_MINUTE: '3', BYLINE_RATE_LIMIT_PER_MINUTE: '5' },
      });
    });
    afterAll(async () => {
      await gateway?.close();
      await database?.drop();
    });

    /** Transactions committed or rolled back on this test's own database (each autocommit statement is one). */
    async function statementsRun(): Promise<number> {
      await sql`select pg_stat_clear_snapshot()`.execute(database.handle.db);
      const { rows } = await sql<{ n: string }>`
      select xact_commit + xact_rollback as n from pg_stat_database where datname = current_database()
    `.execute(database.handle.db);
      return Number(rows[0]!.n);
    }

    it('answers a flood of bad keys with 429 and Retry-After after the limit, without asking the database', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${gateway.origin}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${BAD_KEY}` },
          body: JSON.stringify({ query: '{ __typename }' }),
        });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([401, 401, 401]);
      // Statistics reach pg_stat_database when a backend reports them (at most every second).
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const before = await statementsRun();
      const flood = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          fetch(`${gateway.origin}${i % 2 === 0 ? '/graphql' : `/articles/${SLUG}`}`, {
            method: i % 2 === 0 ? 'POST' : 'GET',
            headers: { 'content-type': 'application/json', 'x-api-key': BAD_KEY },
            ...(i % 2 === 0 ? { body: JSON.stringify({ query: '{ __typename }' }) } : {}),
          }).then(async (response) => ({
            status: response.status,
            retryAfter: response.headers.get('retry-after'),
            body: (await response.json()) as { errors: { message: string; extensions: { code: string } }[] },
          })),
        ),
      );
      expect(new Set(flood.map((answer) => answer.status))).toEqual(new Set([429]));
      expect(Number(flood[0]!.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(flood[0]!.body.errors[0]!).toMatchObject({
        message: expect.stringMatching(
          /^Too many failed partner keys from this IP address \(more than 3 per minute\)/,
        ),
        extensions: { code: 'RATE_LIMITED' },
      });
      await new Promise((resolve) => setTimeout(resolve, 2500));
      // Only the measurements' own statements (two per reading); without the limit, 200 or more lookups.
      expect((await statementsRun()) - before).toBeLessThanOrEqual(4);
    });

    it('rate limits /oembed, /embed, /articles and /quotes per IP like /graphql', async () => {
      // One bucket per address (5 a minute here): the first path spends it, the others find it empty.
      for (const path of [
        '/oembed?url=https%3A%2F%2Fbyline.test%2Farticles%2Fnone',
        '/embed/articles/none',
        '/articles/none',
        '/quotes/none',
      ]) {
        const statuses: number[] = [];
        let response: Response | undefined;
        for (let i = 0; i < 7 && response?.status !== 429; i++) {
          response = await fetch(`${gateway.origin}${path}`);
          statuses.push(response.status);
        }
        expect({ path, last: statuses.at(-1) }).toEqual({ path, last: 429 });
        expect(Number(response!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(statuses.every((status) => status === 404 || status === 429)).toBe(true);
      }
    });
  },
);

describeEachEngine('failures and logs', (engine) => {
  let database: TestDatabase;
  let gateway: TestGateway;
  const lines: string[] = [];
  const BROKEN = 'article-with-a-broken-quote-block';
  beforeAll(async () => {
    database = await engine.open({ demo: true });
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        callback();
      },
    });
    gateway = await startTestGateway(database, { logger: createLogger('info', sink) });
    const broken = makeArticle({
      slug: BROKEN,
      body: [
        { type: 'paragraph', text: 'The ministry said “the second thing said.”', quotes: ['q2'] },
        { type: 'quote', quote: 'q1' },
      ],
    });
    const { dir } = await writeArticleFiles({ 'broken.json': broken });
    expect((await ingestPaths(database.handle.db, [dir])).failed).toBe(0);
    // The body still points at its quote, which is gone: a broken invariant, as after a bad manual edit.
    await sql`delete from quotes where article_id = (select id from articles where slug = ${BROKEN}) and text like 'The first%'`.execute(
      database.handle.db,
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await database?.drop();
  });

  it('fails only the broken field: siblings resolve and a nullable list item absorbs the failure', async () => {
    const ids = await gateway.graphql(
      `{ a: article(slug: "${BROKEN}") { id } b: article(slug: "${SLUG}") { id } }`,
    );
    const { status, body, headers } = await gateway.graphql(
      `query ($ids: [ID!]!) {
        nodes(ids: $ids) { ... on Article { slug body { ... on QuoteBlock { quote { text } } } } }
        good: article(slug: "${SLUG}") { headline }
        broken: article(slug: "${BROKEN}") { headline leadImage { url } }
      }`,
      { variables: { ids: [ids.body.data!.a.id, ids.body.data!.b.id] } },
    );
    expect(status).toBe(200);
    // Article.body is nullable (the `body` right): the failure stops there, the article stays.
    expect(body.data!.nodes[0]).toEqual({ slug: BROKEN, body: null });
    expect(body.data!.nodes[1].slug).toBe(SLUG);
    expect(body.data!.good.headline).toBe('Russia-North Korea Pact Major Loss For US Allies in Region');
    expect(body.data!.broken.headline).toMatch(/^Fixture headline/);
    const requestId = headers.get('x-request-id')!;
    expect(body.errors).toEqual([
      {
        message: `Internal server error (request id ${requestId})`,
        locations: expect.any(Array),
        path: ['nodes', 0, 'body', 1, 'quote'],
        extensions: { code: 'INTERNAL_SERVER_ERROR', requestId },
      },
    ]);
    // The full error is in the log, under the same request id.
    const logged = lines
      .map((line) => JSON.parse(line))
      .find((entry) => entry.requestId === requestId && entry.err);
    expect(logged.err.message).toBe('Article body refers to a missing quote');
    expect(logged.err.stack).toMatch(/articles\.resolvers\.ts/);
  });

  it('writes one JSON line per request with its id, echoed in x-request-id, and no credentials', async () => {
    const secretKey = 'sk_live_9f8e7d6c5b4a-very-secret';
    const response = await fetch(`${gateway.origin}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${secretKey}`,
        'x-api-key': secretKey,
        cookie: `session=${secretKey}`,
        'x-request-id': 'client-chosen-id-42',
      },
      body: JSON.stringify({ query: '{ __typename }', variables: { password: secretKey } }),
    });
    // The made-up key is refused (partner keys are checked), and still never reaches the log.
    expect(response.status).toBe(401);
    expect(response.headers.get('x-request-id')).toBe('client-chosen-id-42');
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const request = entries.find((entry) => entry['requestId'] === 'client-chosen-id-42');
    expect(request).toMatchObject({
      level: 30,
      msg: 'request',
      method: 'POST',
      path: '/graphql',
      status: 401,
      viewer: { kind: 'anonymous' },
    });
    expect(lines.join('\n')).not.toContain('very-secret');
    // A request id that could forge log lines is replaced.
    const forged = await fetch(`${gateway.origin}/healthz`, { headers: { 'x-request-id': 'a"b\\nc' } });
    expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
