import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrateToLatest } from '../src/db/migrate.ts';
import { openDatabase, type DatabaseHandle } from '../src/db/open-database.ts';
import { isDatabaseUnavailable } from '../src/graphql/format-error.ts';
import { demoContentDir } from '../src/http/start-gateway.ts';
import { ingestPaths } from '../src/ingest/ingest-paths.ts';
import { toGlobalId } from '../src/shared/global-id.ts';
import { makePartner } from './helpers/embedding.ts';
import { createPostgresDatabase, describePostgres, type TestDatabase } from './helpers/engines.ts';
import { makeArticle, writeArticleFiles } from './helpers/fixtures.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';
import { startThrowawayPostgres, type ThrowawayPostgres } from './helpers/throwaway-postgres.ts';
import { eventually, withClient } from './helpers/waiting.ts';

/**
 * Faults on a real PostgreSQL: the server going away and coming back, slow and stuck statements,
 * and a process killed mid-ingest. Faults under load, on `byline serve` as a process (SIGTERM
 * included), are in faults-under-load.test.ts.
 */

const SLUG = 'russia-north-korea-pact-major-loss-for-us-allies';
const HEADLINE = 'Russia-North Korea Pact Major Loss For US Allies in Region';
const CLI = fileURLToPath(new URL('../bin/byline.mjs', import.meta.url));

describePostgres('PostgreSQL going down and coming back', () => {
  let server: ThrowawayPostgres | undefined;
  let handle: DatabaseHandle | undefined;
  let gateway: TestGateway | undefined;
  let skipped: string | undefined;
  let partnerKey = '';
  let quoteId = '';
  const partnerOrigin = 'https://partner.example';
  const poolErrors: Error[] = [];

  beforeAll(async () => {
    const started = await startThrowawayPostgres();
    if ('skipped' in started) {
      skipped = started.skipped;
      console.warn(`[byline tests] outage test skipped: ${skipped}`);
      return;
    }
    server = started;
    handle = await openDatabase({
      databaseUrl: server.url,
      poolSize: 4,
      acquireTimeoutMs: 1000,
      onPoolError: (error) => poolErrors.push(error),
    });
    await migrateToLatest(handle.db);
    // A server of its own, so none of the run's images: the demo is loaded here.
    expect((await ingestPaths(handle.db, [demoContentDir])).failed).toBe(0);
    const database: TestDatabase = {
      engine: 'postgres',
      handle,
      url: server.url,
      drop: () => handle!.close(),
    };
    gateway = await startTestGateway(database);
    partnerKey = (await makePartner(handle.db, { origins: [partnerOrigin] })).key;
    const quote = await handle.db
      .selectFrom('quotes')
      .innerJoin('articles', 'articles.id', 'quotes.article_id')
      .select('quotes.id')
      .where('articles.slug', '=', SLUG)
      .orderBy('quotes.ordinal')
      .executeTakeFirstOrThrow();
    quoteId = toGlobalId('Quote', quote.id);
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    await handle?.close();
    await server?.destroy();
  }, 120_000);

  const probe = async () => {
    // A request that hangs fails here instead of stalling the suite.
    const response = await fetch(`${gateway!.origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ article(slug: "${SLUG}") { headline } }` }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    return {
      status: response.status,
      text,
      body: JSON.parse(text),
      retryAfter: response.headers.get('retry-after'),
    };
  };
  const statusOf = async (path: string) =>
    (await fetch(`${gateway!.origin}${path}`, { signal: AbortSignal.timeout(15_000) })).status;

  /** Every route that reads the database, each as a client would send it. */
  const routes = (): { name: string; path: string; init?: RequestInit }[] => [
    {
      name: 'GraphQL with a partner key',
      path: '/graphql',
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${partnerKey}` },
        body: JSON.stringify({ query: `{ article(slug: "${SLUG}") { headline } }` }),
      },
    },
    {
      name: 'GraphQL GET',
      path: `/graphql?query=${encodeURIComponent(`{ article(slug: "${SLUG}") { headline } }`)}`,
      init: { headers: { 'apollo-require-preflight': 'true' } },
    },
    { name: 'oEmbed', path: `/oembed?url=${encodeURIComponent(`https://byline.test/articles/${SLUG}`)}` },
    { name: 'embed card', path: `/embed/articles/${SLUG}` },
    { name: 'quote card', path: `/embed/quotes/${encodeURIComponent(quoteId)}` },
    { name: 'article page', path: `/articles/${SLUG}` },
    { name: 'quote page', path: `/quotes/${encodeURIComponent(quoteId)}` },
    {
      name: 'CORS preflight',
      path: '/graphql',
      init: {
        method: 'OPTIONS',
        headers: { origin: partnerOrigin, 'access-control-request-method': 'POST' },
      },
    },
  ];
  const ask = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${gateway!.origin}${path}`, {
      ...init,
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    return { status: response.status, retryAfter: response.headers.get('retry-after'), text };
  };

  it('answers masked SERVICE_UNAVAILABLE while it is down, reports not ready, and serves again without a restart', async (context) => {
    if (skipped) context.skip();
    for (let i = 0; i < 5; i++) {
      const ok = await probe();
      expect(ok.status).toBe(200);
      expect(ok.body.data.article.headline).toBe(HEADLINE);
    }
    expect(await statusOf('/readyz')).toBe(200);
    for (const route of routes()) {
      const up = await ask(route.path, route.init);
      expect([route.name, up.status]).toEqual([route.name, route.name === 'CORS preflight' ? 204 : 200]);
    }

    // A pooled connection idle when the server goes: its failure must reach onPoolError. Held out of the
    // pool, so the loops below cannot take it (a connection running a statement reports to that statement).
    const idle = await handle!.pool!.connect();
    // Requests in flight while the server stops: each either completes or answers 503 with
    // Retry-After; none crashes the process (a checked-out client losing its server emits 'error').
    let stopping = true;
    const inFlight = Array.from({ length: 4 }, async () => {
      const answers: { status: number; retryAfter: string | null }[] = [];
      for (let i = 0; stopping && i < 500; i++) answers.push(await probe());
      return answers;
    });
    await server!.stop();
    stopping = false;
    idle.release(true);
    for (const answer of (await Promise.all(inFlight)).flat()) {
      expect([200, 503]).toContain(answer.status);
      if (answer.status === 503) expect(answer.retryAfter).toBe('1');
    }

    for (let i = 0; i < 10; i++) {
      const down = await probe();
      expect(down.status).toBe(503);
      expect(down.retryAfter).toBe('1');
      expect(down.body.errors).toHaveLength(1);
      expect(down.body.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
      expect(down.body.errors[0].message).toMatch(
        /^Service temporarily unavailable; retry shortly \(request id [\w-]+\)$/,
      );
      expect(down.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres|stack|terminat/i);
    }
    for (const route of routes()) {
      const down = await ask(route.path, route.init);
      expect([route.name, down.status, down.retryAfter]).toEqual([route.name, 503, '1']);
      const body = JSON.parse(down.text);
      expect(body.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
      expect(body.errors[0].message).toMatch(
        /^Service temporarily unavailable; retry shortly \(request id [\w-]+\)$/,
      );
      expect(down.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres|stack|terminat/i);
    }
    expect(await statusOf('/readyz')).toBe(503);
    expect(await statusOf('/healthz')).toBe(200);
    // Idle pooled connections died with the server; their errors were handled, and we are still here.
    expect(poolErrors.length).toBeGreaterThan(0);

    await server!.start();

    const back = await eventually(
      async () => {
        const response = await probe();
        return response.status === 200 ? response : undefined;
      },
      100,
      'the gateway to serve again',
    );
    expect(back.body).toMatchObject({ data: { article: { headline: HEADLINE } } });
    expect(back.body.errors).toBeUndefined();
    expect(await statusOf('/readyz')).toBe(200);
  }, 120_000);
});

describePostgres('connection settings', () => {
  let created: { url: string; dropDatabase: () => Promise<void> };
  beforeAll(async () => {
    created = await createPostgresDatabase();
  });
  afterAll(async () => {
    await created?.dropDatabase();
  });

  it('sets statement_timeout and idle_in_transaction_session_timeout on every connection', async () => {
    const handle = await openDatabase({
      databaseUrl: created.url,
      statementTimeoutMs: 1234,
      idleInTransactionTimeoutMs: 4321,
      poolSize: 3,
    });
    try {
      const { rows } = await sql<{
        statement_timeout: string;
        idle: string;
        app: string;
      }>`select current_setting('statement_timeout') as statement_timeout,
        current_setting('idle_in_transaction_session_timeout') as idle,
        current_setting('application_name') as app`.execute(handle.db);
      expect(rows[0]).toEqual({ statement_timeout: '1234ms', idle: '4321ms', app: 'byline' });
      expect(handle.pool!.options.max).toBe(3);
    } finally {
      await handle.close();
    }
  });

  it('cancels a statement that runs past statement_timeout, as SERVICE_UNAVAILABLE', async () => {
    const handle = await openDatabase({ databaseUrl: created.url, statementTimeoutMs: 100 });
    try {
      const error = await sql`select pg_sleep(5)`.execute(handle.db).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect((error as { code?: string }).code).toBe('57014');
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      await handle.close();
    }
  });

  it('fails a request that waits for a connection past the acquire timeout, as SERVICE_UNAVAILABLE', async () => {
    const handle = await openDatabase({ databaseUrl: created.url, poolSize: 1, acquireTimeoutMs: 200 });
    const held = await handle.pool!.connect();
    try {
      const error = await sql`select 1`.execute(handle.db).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect((error as Error).message).toMatch(/timeout exceeded when trying to connect/);
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      held.release();
      await handle.close();
    }
  });

  it('survives an idle connection being killed: the pool reports it and serves the next query', async () => {
    const errors: Error[] = [];
    const handle = await openDatabase({
      databaseUrl: created.url,
      onPoolError: (error) => errors.push(error),
    });
    try {
      await sql`select 1`.execute(handle.db);
      await withClient(created.url, (admin) =>
        admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'byline' and datname = current_database()`,
        ),
      );
      await eventually(async () => (errors.length > 0 ? true : undefined), 50, 'the pool error');
      expect(errors[0]!.message).toMatch(/terminat/i);
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(handle.db);
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await handle.close();
    }
  });
});

function collect(child: ChildProcess): { out: () => string } {
  let out = '';
  child.stdout?.on('data', (chunk) => (out += String(chunk)));
  child.stderr?.on('data', (chunk) => (out += String(chunk)));
  return { out: () => out };
}

describePostgres('ingest killed midway', () => {
  let created: { url: string; dropDatabase: () => Promise<void> };
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    created = await createPostgresDatabase('migrated');
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await created?.dropDatabase();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('leaves every article whole or absent after SIGKILL', async () => {
    const QUOTES = 25;
    const TAGS = 20;
    const TOTAL = 300;
    const files: Record<string, ReturnType<typeof makeArticle>> = {};
    for (let n = 0; n < TOTAL; n++) {
      const quotes = Array.from({ length: QUOTES }, (_, q) => ({
        key: `q${q}`,
        text: `Thing number ${q} said in article ${n}.`,
        speaker: { person: 'sam-source' },
      }));
      files[`article-${String(n).padStart(3, '0')}.json`] = makeArticle({
        slug: `killed-ingest-${n}`,
        tags: Array.from({ length: TAGS }, (_, t) => ({ slug: `kill-tag-${t}`, name: `Kill tag ${t}` })),
        quotes,
        relatedLinks: [],
        body: quotes.map((quote) => ({
          type: 'paragraph' as const,
          text: `“${quote.text}”`,
          quotes: [quote.key],
        })),
      });
    }
    dir = (await writeArticleFiles(files)).dir;

    child = spawn(process.execPath, [CLI, 'ingest', dir], {
      env: { ...process.env, DATABASE_URL: created.url, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = collect(child);
    const exited = once(child, 'exit');
    await withClient(created.url, async (client) => {
      await eventually(
        async () => {
          const { rows } = await client.query<{ n: number }>('select count(*)::int as n from articles');
          return rows[0]!.n >= 20 ? true : undefined;
        },
        600,
        'ingest to land its first articles',
      );
    });
    child.kill('SIGKILL');
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });

    const articles = await withClient(created.url, async (client) => {
      const { rows } = await client.query<{ slug: string; quotes: number; tags: number; body: number }>(
        `select a.slug,
          (select count(*)::int from quotes q where q.article_id = a.id) as quotes,
          (select count(*)::int from article_tags t where t.article_id = a.id) as tags,
          jsonb_array_length(a.body::jsonb) as body
        from articles a`,
      );
      return rows;
    });
    expect(articles.length, output.out()).toBeGreaterThanOrEqual(20);
    expect(articles.length, 'the kill came after ingest finished; the test proves nothing').toBeLessThan(
      TOTAL,
    );
    for (const article of articles) {
      expect(article).toEqual({ slug: article.slug, quotes: QUOTES, tags: TAGS, body: QUOTES });
    }
  }, 120_000);
});
