import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../src/shared/logger.ts';
import { describePostgres, type TestDatabase } from './helpers/engines.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';
import { startThrowawayRedis, type ThrowawayRedis } from './helpers/throwaway-redis.ts';
import { sleep } from './helpers/waiting.ts';

/**
 * Redis killed (SIGKILL) and restarted on the same port under a bounded request loop: the API keeps
 * answering at its usual speed, rate limits fail open and say so, and everything comes back.
 */

const SLUG = 'russia-north-korea-pact-major-loss-for-us-allies';
const ARTICLE = 'query ($slug: String!) { article(slug: $slug) { headline } }';
const BAD_KEY = `byl_${'0'.repeat(12)}_${'A'.repeat(43)}`;

interface Answer {
  readonly method: 'GET' | 'POST';
  readonly status: number;
  readonly ms: number;
  readonly cache: string | null;
  readonly limited: boolean;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median latency of the POSTs: they never touch the response cache, so only Redis's absence differs. */
const postMedian = (answers: readonly Answer[]) =>
  median(answers.filter((answer) => answer.method === 'POST').map((answer) => answer.ms));

describePostgres('a Redis outage', (engine) => {
  let redis: ThrowawayRedis | undefined;
  let database: TestDatabase;
  let gateway: TestGateway;
  let strict: TestGateway;
  const lines: string[] = [];

  beforeAll(async () => {
    const started = await startThrowawayRedis();
    if ('skipped' in started) {
      console.warn(`[byline tests] Redis outage test skipped: ${started.skipped}`);
      return;
    }
    redis = started;
    database = await engine.open({ demo: true });
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        callback();
      },
    });
    const env = {
      DATABASE_URL: database.url!,
      REDIS_URL: redis.url,
      // High enough that the load never hits it: the bucket is still taken (and its header sent).
      BYLINE_RATE_LIMIT_PER_MINUTE: '1000000',
      BYLINE_FAILED_AUTH_PER_MINUTE: '3',
    };
    gateway = await startTestGateway(database, { env, logger: createLogger('info', sink) });
    strict = await startTestGateway(database, { env: { ...env, BYLINE_REDIS_REQUIRED: 'true' } });
  });
  afterAll(async () => {
    await gateway?.close();
    await strict?.close();
    await database?.drop();
    await redis?.destroy();
  });

  async function one(index: number): Promise<Answer> {
    const started = performance.now();
    const response =
      index % 2 === 0
        ? await fetch(
            `${gateway.origin}/graphql?${new URLSearchParams({ query: ARTICLE, variables: JSON.stringify({ slug: SLUG }) })}`,
            { headers: { 'apollo-require-preflight': 'true' } },
          )
        : await fetch(`${gateway.origin}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: ARTICLE, variables: { slug: SLUG } }),
          });
    const body = (await response.json()) as { data?: { article?: { headline?: string } } };
    expect(body.data?.article?.headline).toBeTypeOf('string');
    return {
      method: index % 2 === 0 ? 'GET' : 'POST',
      status: response.status,
      ms: performance.now() - started,
      cache: response.headers.get('x-cache'),
      limited: response.headers.has('ratelimit-remaining'),
    };
  }

  /** `total` requests, `concurrency` at a time, alternating cached GET and POST. */
  async function load(total: number, concurrency = 8): Promise<Answer[]> {
    const answers: Answer[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) answers.push(await one(next++));
      }),
    );
    return answers;
  }

  async function failOpenCount(): Promise<number> {
    const text = await (await fetch(`${gateway.origin}/metrics`)).text();
    const match = /^byline_rate_limit_fail_open_total\{limit="per-ip"\} (\d+)$/m.exec(text);
    return match ? Number(match[1]) : 0;
  }

  async function readiness(target: TestGateway) {
    const response = await fetch(`${target.origin}/readyz`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function badKeyStatuses(count: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) {
      const response = await fetch(`${gateway.origin}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': BAD_KEY },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      statuses.push(response.status);
    }
    return statuses;
  }

  it('keeps answering promptly, fails open and says so, and recovers when Redis returns', async (context) => {
    if (!redis) return context.skip();
    expect(await readiness(gateway)).toMatchObject({
      status: 200,
      body: { status: 'ready', redis: 'ready' },
    });
    // Limits in force: three failed keys, then 429 before any lookup.
    expect(await badKeyStatuses(4)).toEqual([401, 401, 401, 429]);

    const baseline = await load(160);
    expect(baseline.every((answer) => answer.status === 200 && answer.limited)).toBe(true);
    expect(baseline.some((answer) => answer.cache === 'HIT')).toBe(true);
    const failOpenBefore = await failOpenCount();

    await redis.kill();
    const outage = await load(160);
    const slowest = Math.max(...outage.map((answer) => answer.ms));
    // Every request answered, none waiting on Redis: each within a second of the calm's slowest, the
    // median near normal. Near: on an idle machine it moves by a few ms; on one loaded by other work,
    // two medians taken seconds apart differ by more than Redis ever adds, and a client that waits on
    // Redis takes seconds.
    expect(outage.map((answer) => answer.status)).toEqual(outage.map(() => 200));
    expect(slowest).toBeLessThan(Math.max(...baseline.map((answer) => answer.ms)) + 1000);
    expect(postMedian(outage)).toBeLessThan(Math.max(postMedian(baseline) + 250, postMedian(baseline) * 2.5));
    // The cache is skipped (answers come from PostgreSQL); the limits let requests through, counted.
    expect(outage.every((answer) => answer.cache !== 'HIT')).toBe(true);
    expect(outage.some((answer) => answer.limited)).toBe(false);
    expect(await failOpenCount()).toBeGreaterThanOrEqual(failOpenBefore + outage.length / 2);
    // Failed keys too: no 429 while the limiter cannot count.
    expect(await badKeyStatuses(4)).toEqual([401, 401, 401, 401]);
    expect(await readiness(gateway)).toMatchObject({
      status: 200,
      body: { status: 'degraded', redis: 'unreachable' },
    });
    expect(await readiness(strict)).toMatchObject({
      status: 503,
      body: { status: 'unavailable', redis: 'unreachable' },
    });
    // Logged once for the outage, however many requests went through it.
    expect(lines.filter((line) => line.includes('Redis unreachable'))).toHaveLength(1);

    await redis.start();
    const restarted = performance.now();
    for (let attempt = 0; attempt < 50 && (await readiness(gateway)).body['status'] !== 'ready'; attempt++) {
      await sleep(100);
    }
    const recoveryMs = performance.now() - restarted;
    expect(await readiness(gateway)).toMatchObject({
      status: 200,
      body: { status: 'ready', redis: 'ready' },
    });
    expect(recoveryMs).toBeLessThan(5000);
    console.info(
      `[redis outage] POST median ${postMedian(baseline).toFixed(1)} ms before, ${postMedian(outage).toFixed(1)} ms during (all answers: median ${median(outage.map((a) => a.ms)).toFixed(1)} ms, slowest ${slowest.toFixed(1)} ms); ready again ${recoveryMs.toFixed(0)} ms after restart`,
    );

    const after = await load(80);
    expect(after.every((answer) => answer.status === 200 && answer.limited)).toBe(true);
    expect(after.some((answer) => answer.cache === 'HIT')).toBe(true);
    // The limits apply again (the restarted Redis is empty: a fresh bucket).
    expect(await badKeyStatuses(4)).toEqual([401, 401, 401, 429]);
    expect(lines.filter((line) => line.includes('Redis reachable again'))).toHaveLength(1);
  });
});
