import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedisConnection, type RedisConnection } from '../src/db/redis-connection.ts';
import { persistedQueryCache } from '../src/protection/persisted-queries.ts';
import { createLogger } from '../src/shared/logger.ts';
import { startThrowawayRedis, type ThrowawayRedis } from './helpers/throwaway-redis.ts';
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
