import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedisConnection, type RedisConnection } from '../src/db/redis-connection.ts';
import { persistedQueryCache } from '../src/protection/persisted-queries.ts';
import { createLogger } from '../src/shared/logger.ts';
import { describePostgres } from './helpers/engines.ts';
import { describeAnswers, isGood, startLoadLoop, summarize } from './helpers/load-loop.ts';
import { startThrowawayRedis, type ThrowawayRedis } from './helpers/throwaway-redis.ts';
import { useGateway } from './helpers/use-gateway.ts';
import { eventually } from './helpers/waiting.ts';

/**
 * APQ registrations shared through Redis, and what an instance does while Redis is down: it answers
 * from what it holds itself, and a hash only another instance registered is not found (the client
 * registers it again, as the protocol provides), never an error or a wait.
 */
describe('APQ registrations in Redis, Redis down and back', () => {
  let redis: ThrowawayRedis | undefined;
  const connections: RedisConnection[] = [];
  let skipped = '';

  beforeAll(async () => {
    const started = await startThrowawayRedis();
    if ('skipped' in started) {
      skipped = started.skipped;
      return;
    }
    redis = started;
    for (let index = 0; index < 2; index += 1) {
      const connection = openRedisConnection(new URL(redis.url), {
        commandTimeoutMs: 500,
        logger: createLogger('silent'),
      });
      await connection.settled(5000);
      connections.push(connection);
    }
  });
  afterAll(async () => {
    for (const connection of connections) await connection.close();
    await redis?.destroy();
  });

  it('shares registrations, keeps its own while Redis is down, and shares again once it is back', async (context) => {
    if (skipped) context.skip(skipped);
    const [one, two] = connections.map((connection) => persistedQueryCache(undefined, connection)) as [
      ReturnType<typeof persistedQueryCache>,
      ReturnType<typeof persistedQueryCache>,
    ];
    await one.set('apq:aaa', '{ a }');
    expect(await two.get('apq:aaa')).toBe('{ a }');

    await redis!.kill();
    await eventually(
      async () =>
        connections.every((connection) => connection.state() === 'unreachable') ? true : undefined,
      100,
      'both connections to see Redis down',
    );
    // Registered while Redis is down: this instance keeps it; the other does not know it.
    await one.set('apq:bbb', '{ b }');
    expect(await one.get('apq:bbb')).toBe('{ b }');
    expect(await two.get('apq:bbb')).toBeUndefined();
    // What each already held still answers.
    expect(await two.get('apq:aaa')).toBe('{ a }');

    await redis!.start();
    await eventually(
      async () => (connections.every((connection) => connection.state() === 'ready') ? true : undefined),
      100,
      'both connections to see Redis back',
    );
    // Redis came back empty (nothing persisted): a registration now is shared again.
    await two.set('apq:ccc', '{ c }');
    expect(await one.get('apq:ccc')).toBe('{ c }');
  });
});

describePostgres('APQ through a gateway while Redis goes down and back, under a request loop', (engine) => {
  let redis: ThrowawayRedis | undefined;
  let skipped = '';
  // Before the gateway's beforeAll, which reads REDIS_URL.
  beforeAll(async () => {
    const started = await startThrowawayRedis();
    if ('skipped' in started) skipped = started.skipped;
    else redis = started;
  });
  afterAll(async () => {
    await redis?.destroy();
  });
  const gateway = useGateway(engine, {
    demo: true,
    env: (database) => ({
      DATABASE_URL: database.url!,
      REDIS_URL: redis?.url ?? 'redis://127.0.0.1:1',
      // One loop from one address: the per-IP limit would turn it into 429s.
      BYLINE_RATE_LIMIT_PER_MINUTE: '0',
    }),
  });

  async function apq(query: string, withText: boolean) {
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const search = new URLSearchParams({
      ...(withText ? { query } : {}),
      extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash } }),
    });
    const response = await fetch(`${gateway.origin}/graphql?${search}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    return (await response.json()) as { data?: { articles?: { totalCount: number } }; errors?: unknown[] };
  }
  const newDocument = (name: string) =>
    `query ${name}${randomUUID().replaceAll('-', '')} { articles(first: 1) { totalCount } }`;
  const redisState = async () =>
    ((await (await fetch(`${gateway.origin}/readyz`)).json()) as { redis?: string }).redis;

  it('answers registered hashes and registers new ones throughout, every request right', async (context) => {
    if (skipped) context.skip(skipped);
    const loop = startLoadLoop({
      origin: gateway.origin,
      concurrency: 4,
      durationMs: 120_000,
      maxRequests: 8000,
    });
    try {
      const before = newDocument('Before');
      expect((await apq(before, true)).data?.articles?.totalCount).toBeGreaterThan(0);
      expect((await apq(before, false)).data?.articles?.totalCount).toBeGreaterThan(0);

      await redis!.kill();
      await eventually(
        async () => ((await redisState()) === 'unreachable' ? true : undefined),
        300,
        'Redis seen down',
      );
      const during = newDocument('During');
      expect((await apq(during, true)).data?.articles?.totalCount).toBeGreaterThan(0);
      // What this instance registered answers from its own memory while Redis is away.
      for (const query of [before, during])
        expect((await apq(query, false)).data?.articles?.totalCount).toBeGreaterThan(0);

      await redis!.start();
      await eventually(
        async () => ((await redisState()) === 'ready' ? true : undefined),
        300,
        'Redis seen back',
      );
      const after = newDocument('After');
      expect((await apq(after, true)).data?.articles?.totalCount).toBeGreaterThan(0);
      for (const query of [before, during, after])
        expect((await apq(query, false)).data?.articles?.totalCount).toBeGreaterThan(0);
    } finally {
      loop.stop();
    }
    const answers = await loop.done;
    const bad = answers.filter((answer) => !isGood(answer));
    expect(bad, describeAnswers(bad)).toEqual([]);
    expect(answers.length).toBeGreaterThanOrEqual(20);
    console.info('[apq redis] Redis down and back under load:', JSON.stringify(summarize(answers)));
  }, 180_000);
});
