import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { revokePartner } from '../src/modules/partners/index.ts';
import { startBylineProcess, type BylineProcess } from './helpers/byline-process.ts';
import { ingestDocuments, makePartner } from './helpers/embedding.ts';
import { describePostgres } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { describeAnswers, isGood, startLoadLoop, summarize, type Answer } from './helpers/load-loop.ts';
import { startThrowawayHaproxy, type ThrowawayHaproxy } from './helpers/throwaway-haproxy.ts';
import { startThrowawayRedis, type ThrowawayRedis } from './helpers/throwaway-redis.ts';
import { useDatabase } from './helpers/use-gateway.ts';
import { eventually } from './helpers/waiting.ts';

/**
 * Three `byline serve` processes on one Postgres and one Redis, behind a real HAProxy balancing
 * round-robin, as a newsroom runs them when a story breaks: what one instance learns, the others
 * know; what one is told to forget, none serves; one dying leaves the others serving.
 */

const PUBLIC_URL = 'https://news.example';
const ARTICLE = 'query ($slug: String!) { article(slug: $slug) { headline } }';

type Body = { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };

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
  return {
    status: response.status,
    cache: response.headers.get('x-cache'),
    body: (await response.json()) as Body,
  };
}

describePostgres('three stateless instances behind HAProxy', (engine) => {
  const fixture = useDatabase(engine, { demo: true });
  let redis: ThrowawayRedis | undefined;
  let proxy: ThrowawayHaproxy | undefined;
  let instances: BylineProcess[] = [];
  let skipped = '';

  beforeAll(async () => {
    const startedRedis = await startThrowawayRedis();
    if ('skipped' in startedRedis) {
      skipped = startedRedis.skipped;
      return;
    }
    redis = startedRedis;
    const env = {
      REDIS_URL: redis.url,
      BYLINE_DEMO: 'false',
      BYLINE_PUBLIC_URL: PUBLIC_URL,
      BYLINE_TRUSTED_PROXIES: '127.0.0.1',
    };
    instances = await Promise.all(
      ['a', 'b', 'c'].map(() =>
        startBylineProcess({ databaseUrl: fixture.database.url!, env, startTimeoutMs: 120_000 }),
      ),
    );
    const startedProxy = await startThrowawayHaproxy({
      a: instances[0]!.port,
      b: instances[1]!.port,
      c: instances[2]!.port,
    });
    if ('skipped' in startedProxy) {
      skipped = startedProxy.skipped;
      return;
    }
    proxy = startedProxy;
    // Every instance listening on the cache's invalidations and in HAProxy's rotation.
    await eventually(
      async () => {
        const states = await proxy!.serverStates();
        return Object.values(states).every((state) => state.status === 'UP') ? states : undefined;
      },
      600,
      'HAProxy to see all three instances up',
    );
  }, 240_000);

  afterAll(async () => {
    await proxy?.destroy();
    await Promise.all(instances.map((instance) => instance.kill()));
    await redis?.destroy();
  });

  const ready = (context: { skip: (note?: string) => void }) => {
    if (skipped) context.skip(skipped);
  };

  it('shares an APQ registration: a hash registered through one instance works through the others', async (context) => {
    ready(context);
    const [a, b, c] = instances as [BylineProcess, BylineProcess, BylineProcess];
    // A document no one has registered yet (its text differs per run).
    const query = `query Registered${randomUUID().replaceAll('-', '')} { articles(first: 1) { totalCount } }`;
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const hashOnly = { extensions: { persistedQuery: { version: 1, sha256Hash } } };

    const before = await get(b.origin, hashOnly);
    expect(before.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    const registered = await get(a.origin, { query, ...hashOnly });
    expect(registered.body.data?.articles.totalCount).toBeGreaterThan(0);

    for (const origin of [b.origin, c.origin, proxy!.origin, proxy!.origin, proxy!.origin]) {
      const answer = await get(origin, hashOnly);
      expect(answer.body).toEqual(registered.body);
    }
  });

  it('never serves an edit or an unpublish stale from another instance once one has served it', async (context) => {
    ready(context);
    const story = makeArticle({ slug: `scale-out-${randomUUID().slice(0, 8)}`, headline: 'First version' });
    await ingestDocuments(fixture.db, [story]);
    const variables = { slug: story.slug };
    const origins = [...instances.map((instance) => instance.origin), proxy!.origin];
    // Cached everywhere (the entries live in Redis, shared by the three).
    await eventually(
      async () =>
        (await get(origins[0]!, { query: ARTICLE, variables })).cache === 'HIT' ? true : undefined,
      300,
      'the story to be cached',
    );
    for (const origin of origins) {
      expect(await get(origin, { query: ARTICLE, variables })).toMatchObject({
        cache: 'HIT',
        body: { data: { article: { headline: 'First version' } } },
      });
    }

    // An edit, as `byline ingest` writes it: committed, then announced by NOTIFY.
    await ingestDocuments(fixture.db, [{ ...story, headline: 'Second version' }]);
    await eventually(
      async () => {
        const answer = await get(origins[0]!, { query: ARTICLE, variables });
        return answer.body.data?.article?.headline === 'Second version' ? true : undefined;
      },
      300,
      'instance a to serve the edit',
    );
    for (const origin of [...origins, proxy!.origin, proxy!.origin]) {
      const answer = await get(origin, { query: ARTICLE, variables });
      expect(answer.body.data?.article?.headline, origin).toBe('Second version');
    }

    // Back to draft: gone for the public on every instance once one has stopped serving it.
    await ingestDocuments(fixture.db, [{ ...story, headline: 'Second version', status: 'draft' }]);
    await eventually(
      async () =>
        (await get(origins[1]!, { query: ARTICLE, variables })).body.data?.article === null
          ? true
          : undefined,
      300,
      'instance b to stop serving the unpublished story',
    );
    for (const origin of [...origins, proxy!.origin, proxy!.origin]) {
      const answer = await get(origin, { query: ARTICLE, variables });
      expect(answer.body.data, origin).toEqual({ article: null });
    }
  });

  it('refuses a revoked partner key on every instance from the next request', async (context) => {
    ready(context);
    const partner = await makePartner(fixture.db, { name: `scale-out partner ${randomUUID().slice(0, 8)}` });
    const asPartner = { authorization: `Bearer ${partner.key}` };
    const origins = [...instances.map((instance) => instance.origin), proxy!.origin];
    const variables = { slug: 'russia-north-korea-pact-major-loss-for-us-allies' };
    for (const origin of origins)
      expect((await get(origin, { query: ARTICLE, variables }, asPartner)).status).toBe(200);

    await revokePartner(fixture.db, partner.id);
    for (const origin of [...origins, proxy!.origin, proxy!.origin]) {
      const answer = await get(origin, { query: ARTICLE, variables }, asPartner);
      expect(answer.status, origin).toBe(401);
      expect(answer.body.data).toBeUndefined();
    }
  });

  it("serves Node's process metrics once on every instance", async (context) => {
    ready(context);
    for (const instance of instances) {
      const text = await (await fetch(`${instance.origin}/metrics`)).text();
      for (const name of [
        'process_cpu_user_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_eventloop_lag_seconds',
      ]) {
        expect(
          text
            .split('\n')
            .filter((line) => line === `# TYPE ${name} ${name.endsWith('_total') ? 'counter' : 'gauge'}`),
        ).toHaveLength(1);
      }
      expect(text).toMatch(/^byline_db_pool_max \d+$/m);
    }
  });

  it('serves through a Redis outage under load, then shares APQ registrations again and serves nothing stale', async (context) => {
    ready(context);
    const [a, b, c] = instances as [BylineProcess, BylineProcess, BylineProcess];
    const story = makeArticle({
      slug: `redis-outage-${randomUUID().slice(0, 8)}`,
      headline: 'Before the outage',
    });
    await ingestDocuments(fixture.db, [story]);
    const variables = { slug: story.slug };
    await eventually(
      async () => ((await get(a.origin, { query: ARTICLE, variables })).cache === 'HIT' ? true : undefined),
      300,
      'the story to be cached in Redis',
    );
    const loop = startLoadLoop({
      origin: proxy!.origin,
      concurrency: 4,
      durationMs: 120_000,
      maxRequests: 8000,
    });
    await eventually(
      async () => (loop.answers.length >= 40 ? true : undefined),
      600,
      'the loop to get going',
    );

    await redis!.kill();
    const downAt = performance.now();
    // Every instance notices (its next Redis command fails) and says so on /readyz, still serving.
    for (const instance of instances) {
      await eventually(
        async () => {
          const body = (await (await fetch(`${instance.origin}/readyz`)).json()) as { status: string };
          return body.status === 'degraded' ? true : undefined;
        },
        300,
        'an instance to report Redis unreachable',
      );
    }
    // An edit while Redis is down: its invalidation cannot reach the shared store.
    await ingestDocuments(fixture.db, [{ ...story, headline: 'During the outage' }]);
    const countAtDown = loop.answers.length;
    await eventually(
      async () => (loop.answers.length >= countAtDown + 100 ? true : undefined),
      1200,
      'requests while Redis is down',
    );
    for (const origin of [a.origin, b.origin, c.origin]) {
      const answer = await get(origin, { query: ARTICLE, variables });
      expect(answer.body.data?.article?.headline, origin).toBe('During the outage');
    }

    await redis!.start();
    const upAt = performance.now();
    for (const instance of instances) {
      await eventually(
        async () => {
          const body = (await (await fetch(`${instance.origin}/readyz`)).json()) as { redis?: string };
          return body.redis === 'ready' ? true : undefined;
        },
        300,
        'an instance to reconnect to Redis',
      );
    }
    const countAtUp = loop.answers.length;
    await eventually(
      async () => (loop.answers.length >= countAtUp + 100 ? true : undefined),
      1200,
      'requests after Redis is back',
    );

    // APQ: a hash registered through one instance after the outage works through the others.
    const query = `query AfterOutage${randomUUID().replaceAll('-', '')} { articles(first: 1) { totalCount } }`;
    const hashOnly = {
      extensions: {
        persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') },
      },
    };
    const registered = await get(c.origin, { query, ...hashOnly });
    expect(registered.body.data?.articles.totalCount).toBeGreaterThan(0);
    for (const origin of [a.origin, b.origin])
      expect((await get(origin, hashOnly)).body).toEqual(registered.body);

    // Nothing cached before or during the outage comes back stale, and each instance caches in Redis
    // again. (An instance whose invalidation failed during the outage keys its entries under a
    // generation of its own from then on, since what Redis held may have missed it: the instances
    // share entries again at the next "everything" change, not before.)
    for (const instance of instances) {
      await eventually(
        async () =>
          (await get(instance.origin, { query: ARTICLE, variables })).cache === 'HIT' ? true : undefined,
        300,
        'the story to be cached in Redis again',
      );
      expect(await get(instance.origin, { query: ARTICLE, variables })).toMatchObject({
        cache: 'HIT',
        body: { data: { article: { headline: 'During the outage' } } },
      });
    }
    // And an edit now reaches every instance's cached answer.
    await ingestDocuments(fixture.db, [{ ...story, headline: 'After the outage' }]);
    await eventually(
      async () =>
        (await get(a.origin, { query: ARTICLE, variables })).body.data?.article?.headline ===
        'After the outage'
          ? true
          : undefined,
      300,
      'instance a to serve the edit after the outage',
    );
    for (const origin of [a.origin, b.origin, c.origin, proxy!.origin])
      expect((await get(origin, { query: ARTICLE, variables })).body.data?.article?.headline, origin).toBe(
        'After the outage',
      );

    loop.stop();
    const answers = await loop.done;
    // Without Redis the instances answer from the database: every answer right, none a 503 or a hang.
    const bad = answers.filter((answer) => !isGood(answer));
    expect(bad, describeAnswers(bad)).toEqual([]);
    expect(
      answers.filter((answer) => answer.started > downAt && answer.ended < upAt).length,
    ).toBeGreaterThanOrEqual(100);
    console.info('[scale-out] Redis down and back under load:', JSON.stringify(summarize(answers)));
  }, 240_000);

  it('keeps serving through HAProxy when an instance is SIGKILLed under load', async (context) => {
    ready(context);
    const victim = instances[2]!;
    const loop = startLoadLoop({
      origin: proxy!.origin,
      concurrency: 6,
      durationMs: 60_000,
      maxRequests: 4000,
    });
    // Some answers from all three first.
    await eventually(
      async () => (loop.answers.length >= 60 ? true : undefined),
      600,
      'the loop to get going',
    );
    const beforeKill = await proxy!.serverStates();
    expect(beforeKill['c']!.sessions).toBeGreaterThan(0);

    await victim.kill();
    await eventually(
      async () => ((await proxy!.serverStates())['c']?.status === 'DOWN' ? true : undefined),
      600,
      'HAProxy to mark the killed instance down',
    );
    const downAt = performance.now();
    const countAtDown = loop.answers.length;
    // A good stretch of requests sent after HAProxy took it out of rotation.
    await eventually(
      async () => (loop.answers.length >= countAtDown + 150 ? true : undefined),
      1200,
      'requests after the kill',
    );
    loop.stop();
    const answers = await loop.done;

    const good = (answer: Answer) => answer.status === 200 && answer.problem === undefined;
    // A request in flight on the killed instance: a GET is retried on another (good); a POST fails at
    // the proxy, with 502 or its connection closed without an answer (a client may retry), never a hang
    // or a wrong body. At most the loop's concurrency of them, all sent before HAProxy saw the death.
    const cleanFailure = (answer: Answer) =>
      answer.kind.startsWith('post') &&
      answer.started < downAt &&
      (answer.status === 502 || (answer.status === 'error' && /UND_ERR_SOCKET/.test(answer.problem ?? '')));
    const improper = answers.filter((answer) => !good(answer) && !cleanFailure(answer));
    expect(improper, describeAnswers(improper)).toEqual([]);
    expect(answers.filter(cleanFailure).length).toBeLessThanOrEqual(6);
    const afterDown = answers.filter((answer) => answer.started > downAt);
    expect(afterDown.length).toBeGreaterThanOrEqual(100);
    const failedAfterDown = afterDown.filter((answer) => !good(answer));
    expect(failedAfterDown, describeAnswers(failedAfterDown)).toEqual([]);
    console.info('[scale-out] SIGKILL behind HAProxy:', JSON.stringify(summarize(answers)));
  });
});
