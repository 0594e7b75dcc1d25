import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { migrateToLatest } from '../src/db/migrate.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { ingestPaths } from '../src/ingest/ingest-paths.ts';
import { demoContentDir } from '../src/http/start-gateway.ts';
import { startBylineProcess, type BylineProcess } from './helpers/byline-process.ts';
import {
  ask,
  describeAnswers,
  improperAnswers,
  isGood,
  latencies,
  percentile,
  recoveryMs,
  REFERENCE_HEADLINE,
  REFERENCE_SLUG,
  startLoadLoop,
  summarize,
  type Answer,
} from './helpers/load-loop.ts';
import { startThrowawayPostgres, type ThrowawayPostgres } from './helpers/throwaway-postgres.ts';
import { startThrowawayRedis, type ThrowawayRedis } from './helpers/throwaway-redis.ts';
import { watchStatus, type StatusWatch } from './helpers/watch-status.ts';
import { eventually, sleep, withClient } from './helpers/waiting.ts';

/**
 * Each fault happens while a bounded request loop (8 concurrent readers, POST and cached GET of the
 * article page and a search) runs against `byline serve` as a child process, on a PostgreSQL
 * cluster (and a Redis) of this file's own. Afterwards: the process is alive, every answer was
 * right or a 503 with Retry-After (never a 500, a dropped connection or a hang), service came back
 * within 2 s of the dependency, /readyz followed it, and no answer is stale.
 */

/** The promise: service is back this soon after the dependency answers again. */
const RECOVERY_MS = 2000;
/** The longest wait between a server's attempts to prepare a database that was down at start. */
const STARTUP_RETRY_MS = 250;
/** Slack for one /readyz probe on a loaded machine. */
const READINESS_PROBE_MS = 1000;
/** Readers in the load loop. */
const LOAD_CONCURRENCY = 8;
/** A request with no answer by then is a hang (the product's own request timeout is longer). */
const REQUEST_TIMEOUT_MS = 10_000;

/** Whether PostgreSQL accepts a connection and answers a query now. */
const postgresAnswers = (url: string) =>
  withClient(url, async (client) => (await client.query('select 1')).rowCount === 1, 2000).catch(() => false);

const statusOf = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(3000) })).status;

const watchPostgres = (url: string) => watchStatus(() => postgresAnswers(url), 25, false);
const watchReadiness = (origin: string) => watchStatus(() => statusOf(`${origin}/readyz`), 100, 0);

/**
 * When the watched dependency first answered after it was last seen down (before `until`, when the
 * restart or start returned): waits for the watch to see it answer, as the watch may lag behind pg_ctl.
 * Never seen down (an outage shorter than one probe): `fallback`, the fault's start, the stricter bound.
 */
async function returnedAt(watch: StatusWatch<boolean>, from: number, fallback: number): Promise<number> {
  const until = performance.now();
  const down = watch.samples
    .filter((sample) => sample.at >= from && sample.at <= until && !sample.value)
    .at(-1);
  if (!down) return fallback;
  const up = await eventually(
    async () => watch.firstAfter(down.at, (answers) => answers),
    100,
    'PostgreSQL to answer the watch again',
  );
  return up.at;
}

async function searchSlugs(origin: string): Promise<string[]> {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ search(query: "Putin", first: 20) { edges { node { slug } } } }' }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = (await response.json()) as { data: { search: { edges: { node: { slug: string } }[] } } };
  return body.data.search.edges.map((edge) => edge.node.slug);
}

let knownSlugs: string[] | undefined;

interface FaultRun {
  readonly answers: readonly Answer[];
  /** When the fault began and when the dependency answered again. */
  readonly faultAt: number;
  readonly upAt: number;
  readonly readiness: StatusWatch<number>;
}

/**
 * Runs the load loop: 1 s calm (longer until each reader has an answer), then `fault` (which resolves
 * with when the dependency answered again), then `afterMs` more of load; the loop's own deadline
 * bounds it all.
 */
async function underLoad(
  byline: BylineProcess,
  fault: () => Promise<number>,
  options: { afterMs?: number; durationMs?: number } = {},
): Promise<FaultRun> {
  // What the search finds in calm, to compare every answer with (unknown when it starts without a database).
  knownSlugs ??= await searchSlugs(byline.origin).catch(() => undefined);
  if (knownSlugs) expect(knownSlugs).toContain(REFERENCE_SLUG);
  const readiness = watchReadiness(byline.origin);
  const loop = startLoadLoop({
    origin: byline.origin,
    concurrency: LOAD_CONCURRENCY,
    durationMs: options.durationMs ?? 12_000,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    searchSlugs: knownSlugs,
  });
  try {
    // Calm first: a second, and an answer for each reader, which a loaded machine takes longer to give
    // (bounded: the loop's deadline must leave room for the fault).
    const calmUntil = performance.now() + 1000;
    await eventually(
      async () =>
        performance.now() >= calmUntil && loop.answers.length >= LOAD_CONCURRENCY ? true : undefined,
      50,
      'an answer for each reader before the fault',
    ).catch(() => undefined);
    const faultAt = performance.now();
    const upAt = await fault();
    await Promise.race([sleep(options.afterMs ?? 2500), loop.done]);
    loop.stop();
    const answers = await loop.done;
    // A slow machine may answer /readyz late; keep asking (bounded) so the figure is measured, not missed.
    await eventually(
      async () => readiness.firstAfter(upAt, (status) => status === 200),
      100,
      '/readyz to answer 200',
    ).catch(() => undefined);
    return { answers, faultAt, upAt, readiness };
  } finally {
    loop.stop();
    await loop.done;
    await readiness.stop();
  }
}

/** What every fault must leave true; prints the figures docs/operations.md quotes. */
function expectHonest(
  name: string,
  byline: BylineProcess,
  run: FaultRun,
  recoveryBoundMs = RECOVERY_MS,
): { recovery: number | undefined } {
  const { answers, faultAt, upAt } = run;
  const summary = summarize(answers);
  const recovery = recoveryMs(answers, upAt);
  console.info(
    `[faults] ${name}: ${summary.total} answers, ${summary.unavailable} 503 (${(summary.unavailableShare * 100).toFixed(1)} %), ${summary.improper} improper, recovery ${recovery === undefined ? 'never' : `${Math.round(recovery)} ms`}, latency p50 ${summary.medianMs.toFixed(0)} ms p95 ${summary.p95Ms.toFixed(0)} ms max ${summary.maxMs.toFixed(0)} ms`,
  );
  expect(byline.alive(), `the process died:\n${byline.log().slice(-3000)}`).toBe(true);
  // Under load while it happened: every reader had a request in flight between the fault and the return.
  expect(
    answers.filter((answer) => answer.ended >= faultAt && answer.started <= upAt).length,
  ).toBeGreaterThanOrEqual(LOAD_CONCURRENCY);
  const improper = improperAnswers(answers);
  expect(improper.length, describeAnswers(improper)).toBe(0);
  expect(recovery, 'service did not come back while the loop ran').toBeDefined();
  expect(recovery!).toBeLessThanOrEqual(recoveryBoundMs);
  // /readyz says ready again with service: within the same bound, plus one probe (an HTTP request, a
  // ping and a migration check, which take most of a second on a loaded 2-core machine).
  const ready = run.readiness.firstAfter(upAt, (status) => status === 200);
  expect(ready, '/readyz never answered 200 after the dependency returned').toBeDefined();
  expect(ready!.at - upAt).toBeLessThanOrEqual(recoveryBoundMs + READINESS_PROBE_MS);
  return { recovery };
}

/**
 * No stale answer once recovered: with the cache serving again (a HIT), a headline changed by
 * hand in PostgreSQL shows in the next answers, cached GET and POST alike.
 */
async function expectFreshAfterChange(origin: string, databaseUrl: string): Promise<void> {
  const changed = `${REFERENCE_HEADLINE} (corrected)`;
  await eventually(
    async () => {
      const answer = await ask('get-article', { origin, durationMs: 0 });
      return isGood(answer) && answer.cache === 'HIT' ? answer : undefined;
    },
    100,
    'a cached GET to be answered from the response cache again',
  );
  const setHeadline = (headline: string) =>
    withClient(databaseUrl, (client) =>
      client.query('update articles set headline = $1 where slug = $2', [headline, REFERENCE_SLUG]),
    );
  await setHeadline(changed);
  try {
    for (const kind of ['get-article', 'post-article'] as const) {
      await eventually(
        async () => {
          const answer = await ask(kind, { origin, durationMs: 0, headline: changed });
          return isGood(answer) ? answer : undefined;
        },
        30,
        `${kind} to show the changed headline`,
      );
    }
  } finally {
    await setHeadline(REFERENCE_HEADLINE);
  }
  await eventually(
    async () => {
      const answer = await ask('get-article', { origin, durationMs: 0 });
      return isGood(answer) ? answer : undefined;
    },
    30,
    'the restored headline',
  );
}

/**
 * The reference article with its related links, on a connection of its own (`agent: false`), so it
 * is on the server as soon as written and never shares a keep-alive connection the server may close.
 */
function heldRequest(origin: string): Promise<{ status: number | string; links?: number }> {
  const body = JSON.stringify({
    query: `{ article(slug: "${REFERENCE_SLUG}") { headline relatedLinks { url } } }`,
  });
  return new Promise((resolve) => {
    const request = http.request(
      `${origin}/graphql`,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (response) => {
        let text = '';
        response.on('data', (chunk) => (text += String(chunk)));
        response.on('error', (error) => resolve({ status: `response failed: ${error.message}` }));
        response.on('end', () => {
          try {
            const parsed = JSON.parse(text) as {
              data?: { article?: { headline: string; relatedLinks: unknown[] } };
            };
            const article = parsed.data?.article;
            resolve(
              article?.headline === REFERENCE_HEADLINE
                ? { status: response.statusCode ?? 0, links: article.relatedLinks.length }
                : { status: `${response.statusCode} ${text.slice(0, 200)}` },
            );
          } catch {
            resolve({ status: `${response.statusCode} not JSON: ${text.slice(0, 200)}` });
          }
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error('no answer within the request timeout')));
    request.on('error', (error) => resolve({ status: `request failed: ${error.message}` }));
    request.end(body);
  });
}

describe('Byline under load while its dependencies fail', () => {
  let cluster: ThrowawayPostgres | undefined;
  let skipped: string | undefined;
  /** Every process a test started; the next test starts clean. */
  const started: BylineProcess[] = [];

  beforeAll(async () => {
    const started = await startThrowawayPostgres();
    if ('skipped' in started) {
      skipped = started.skipped;
      console.warn(`[byline tests] faults under load skipped: ${skipped}`);
      return;
    }
    cluster = started;
    const handle = await openDatabase({ databaseUrl: cluster.url });
    try {
      await migrateToLatest(handle.db);
      await ingestPaths(handle.db, [demoContentDir]);
    } finally {
      await handle.close();
    }
  }, 120_000);

  afterEach(async () => {
    await Promise.all(started.splice(0).map((running) => running.kill()));
    if (cluster && !(await postgresAnswers(cluster.url))) await cluster.start().catch(() => undefined);
  }, 60_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 60_000);

  const serve = async (context: TestContext, env: Record<string, string> = {}) => {
    if (skipped) context.skip();
    const running = await startBylineProcess({ databaseUrl: cluster!.url, env });
    started.push(running);
    return running;
  };

  describe('PostgreSQL', () => {
    it('survives a fast restart: 503 with Retry-After while it restarts, then serves again', async (context) => {
      const running = await serve(context);
      const watch = watchPostgres(cluster!.url);
      try {
        const run = await underLoad(running, async () => {
          const from = performance.now();
          await cluster!.restart('fast');
          // Not seen down (a restart faster than the poll): measure from the restart's start, the stricter bound.
          return await returnedAt(watch, from, from);
        });
        expectHonest('PostgreSQL fast restart', running, run);
      } finally {
        await watch.stop();
      }
      await expectFreshAfterChange(running.origin, cluster!.url);
    }, 60_000);

    it('survives an immediate stop for 10 s: 503 throughout, /readyz 503, then serves again', async (context) => {
      const running = await serve(context);
      const watch = watchPostgres(cluster!.url);
      let downFrom = 0;
      try {
        const run = await underLoad(
          running,
          async () => {
            await cluster!.stop('immediate');
            downFrom = performance.now();
            await sleep(10_000);
            const from = performance.now();
            await cluster!.start();
            return await returnedAt(watch, from, from);
          },
          { durationMs: 16_000 },
        );
        expectHonest('PostgreSQL immediate stop, 10 s down', running, run);
        // While it was down, no POST (which no cache can answer) got a 200, and /readyz said 503 throughout.
        const whileDown = run.answers.filter(
          (answer) =>
            answer.kind.startsWith('post') &&
            answer.started >= downFrom + 2500 &&
            answer.ended <= run.upAt - 100,
        );
        expect(whileDown.length).toBeGreaterThan(8);
        expect(whileDown.filter(isGood).length, describeAnswers(whileDown.filter(isGood))).toBe(0);
        const readyWhileDown = run.readiness.samples.filter(
          (sample) => sample.at >= downFrom + 2500 && sample.at <= run.upAt - 100,
        );
        expect(readyWhileDown.length).toBeGreaterThan(3);
        expect(readyWhileDown.map((sample) => sample.value)).toEqual(readyWhileDown.map(() => 503));
        expect(await statusOf(`${running.origin}/healthz`)).toBe(200);
      } finally {
        await watch.stop();
      }
      await expectFreshAfterChange(running.origin, cluster!.url);
    }, 60_000);

    it('survives its backends being terminated mid-statement', async (context) => {
      const running = await serve(context);
      let terminated = 0;
      const run = await underLoad(running, async () => {
        // Three rounds, so statements in flight are hit, not only idle connections.
        for (let round = 0; round < 3; round++) {
          if (round > 0) await sleep(400);
          terminated += await withClient(cluster!.url, async (admin) => {
            const { rows } = await admin.query<{ n: number }>(
              `select count(*) filter (where pg_terminate_backend(pid))::int as n from pg_stat_activity
               where application_name like 'byline%' and pid <> pg_backend_pid()`,
            );
            return rows[0]!.n;
          });
        }
        return performance.now();
      });
      expectHonest('pg_terminate_backend of its backends', running, run);
      expect(terminated, 'no backend of Byline was terminated; the test proves nothing').toBeGreaterThan(0);
      await expectFreshAfterChange(running.origin, cluster!.url);
    }, 60_000);

    it('starts while PostgreSQL is down: /healthz 200, /readyz 503, serves once it returns', async (context) => {
      if (skipped) context.skip();
      await cluster!.stop('fast');
      const running = await serve(context);
      expect(await statusOf(`${running.origin}/healthz`)).toBe(200);
      expect(await statusOf(`${running.origin}/readyz`)).toBe(503);
      const watch = watchPostgres(cluster!.url);
      try {
        const run = await underLoad(running, async () => {
          await sleep(1000);
          const from = performance.now();
          await cluster!.start();
          return await returnedAt(watch, 0, from);
        });
        // Started without a database, the server tries to prepare it (migrations, demo content) again
        // at most STARTUP_RETRY_MS apart: that wait comes on top of the 2 s, then a cold pool's first queries.
        expectHonest('PostgreSQL down at start', running, run, RECOVERY_MS + STARTUP_RETRY_MS);
        const before = run.answers.filter((answer) => answer.ended <= run.faultAt);
        expect(before.length).toBeGreaterThan(8);
        expect(before.filter(isGood)).toEqual([]);
      } finally {
        await watch.stop();
      }
      await expectFreshAfterChange(running.origin, cluster!.url);
    }, 90_000);
  });

  describe('Redis', () => {
    let redis: ThrowawayRedis | undefined;
    afterAll(async () => {
      await redis?.destroy();
    });

    it('keeps answering at normal speed while Redis is killed and restarted; rate limits fail open and say so', async (context) => {
      if (skipped) context.skip();
      const server = await startThrowawayRedis();
      if ('skipped' in server) return context.skip(server.skipped);
      redis = server;
      // The second gateway is told Redis is required: its /readyz must say 503 while Redis is gone.
      const [running, strict] = await Promise.all([
        serve(context, { REDIS_URL: redis.url }),
        serve(context, { REDIS_URL: redis.url, BYLINE_REDIS_REQUIRED: 'true' }),
      ]);
      const readiness = (origin: string) =>
        watchStatus(
          async () => {
            const response = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(3000) });
            const body = (await response.json()) as { status?: string; redis?: string };
            return `${response.status} ${body.status} redis=${body.redis}`;
          },
          100,
          'no answer',
        );
      const states = readiness(running.origin);
      const strictStates = readiness(strict.origin);

      let killedAt = 0;
      let restartedAt = 0;
      const run = await underLoad(
        running,
        async () => {
          await sleep(1000);
          await redis!.kill();
          killedAt = performance.now();
          await sleep(3000);
          await redis!.start();
          restartedAt = performance.now();
          return restartedAt;
        },
        { durationMs: 12_000 },
      ).finally(async () => {
        // A slow machine may answer /readyz late; keep asking (bounded) so the figure is measured, not missed.
        for (const watch of [states, strictStates]) {
          await eventually(
            async () => watch.firstAfter(restartedAt, (value) => value.startsWith('200 ready')),
            100,
            '/readyz to say ready',
          ).catch(() => undefined);
        }
        await Promise.all([states.stop(), strictStates.stop()]);
      });
      const baseline = run.answers.filter((answer) => answer.ended < killedAt);
      const outage = run.answers.filter(
        (answer) => answer.started >= killedAt && answer.ended <= restartedAt,
      );
      const baselineMedian = percentile(latencies(baseline), 50);
      const baselineP99 = percentile(latencies(baseline), 99);
      const outageMedian = percentile(latencies(outage), 50);
      const outageMax = latencies(outage).reduce((max, time) => Math.max(max, time), 0);
      // POSTs never use the response cache: their latency is what the rate limiter's Redis adds.
      const posts = (answers: readonly Answer[]) =>
        answers.filter((answer) => answer.kind.startsWith('post'));
      const baselinePostMedian = percentile(latencies(posts(baseline)), 50);
      const outagePostMedian = percentile(latencies(posts(outage)), 50);
      const back = (watch: StatusWatch<string>, state: RegExp) => {
        const sample = watch.firstAfter(restartedAt, (value) => state.test(value));
        return sample && Math.round(sample.at - restartedAt);
      };
      console.info(
        `[faults] Redis killed 3 s: ${run.answers.length} answers, ${run.answers.filter((a) => !isGood(a)).length} not 200, latency p50 ${baselineMedian.toFixed(0)} ms calm vs ${outageMedian.toFixed(0)} ms during the outage (POST p50 ${baselinePostMedian.toFixed(0)} vs ${outagePostMedian.toFixed(0)} ms; max ${outageMax.toFixed(0)} ms, calm p99 ${baselineP99.toFixed(0)} ms), /readyz ready again ${back(states, /^200 ready/)} ms after Redis (required: ${back(strictStates, /^200 ready/)} ms)`,
      );
      expect(running.alive(), running.log().slice(-3000)).toBe(true);
      expect(strict.alive(), strict.log().slice(-3000)).toBe(true);
      expect(baseline.length).toBeGreaterThan(8);
      expect(outage.length).toBeGreaterThan(8);
      // Redis is a cache and a limiter: without it every request is still answered, and right.
      const notGood = run.answers.filter((answer) => !isGood(answer));
      expect(notGood.length, describeAnswers(notGood)).toBe(0);
      // Normal speed: on an idle machine the POST median moves by a few ms (docs/operations.md); the
      // bound leaves room for a machine loaded by other work, where two medians taken seconds apart
      // differ by more than Redis ever adds, and still fails a client that waits on Redis (seconds).
      expect(outagePostMedian).toBeLessThanOrEqual(
        Math.max(baselinePostMedian + 250, baselinePostMedian * 2.5),
      );
      expect(outageMax).toBeLessThanOrEqual(baselineP99 + 1000);

      // /readyz follows Redis: degraded (still 200: it serves) by default, 503 where Redis is required.
      const during = (watch: StatusWatch<string>) =>
        watch.samples
          .filter((sample) => sample.at >= killedAt + 500 && sample.at <= restartedAt)
          .map((sample) => sample.value);
      expect(during(states).length).toBeGreaterThan(0);
      expect(new Set(during(states))).toEqual(new Set(['200 degraded redis=unreachable']));
      expect(during(strictStates).length).toBeGreaterThan(0);
      expect(new Set(during(strictStates))).toEqual(new Set(['503 unavailable redis=unreachable']));
      expect(back(states, /^200 ready/)).toBeLessThanOrEqual(RECOVERY_MS + READINESS_PROBE_MS);
      expect(back(strictStates, /^200 ready/)).toBeLessThanOrEqual(RECOVERY_MS + READINESS_PROBE_MS);

      // Rate limits were on and let requests through without Redis; the metric and the log say so.
      const metrics = await (await fetch(`${running.origin}/metrics`)).text();
      const failOpen = metrics
        .split('\n')
        .filter((line) => /^byline_rate_limit_fail_open_total(\{[^}]*\})? [1-9]/.test(line));
      expect(failOpen, 'no byline_rate_limit_fail_open_total above 0 on /metrics').not.toEqual([]);
      expect(running.log()).toMatch(/rate.?limit[^\n]*(unavailable|fail)/i);
      await expectFreshAfterChange(running.origin, cluster!.url);
    }, 60_000);
  });

  describe('clients', () => {
    /** Opens a raw connection, writes `head`, then trickles `drip` a byte at a time until the server answers or closes. */
    const slowClient = (port: number, head: string, drip: string) =>
      new Promise<{ response: string; elapsedMs: number }>((resolve) => {
        const started = performance.now();
        const socket = net.connect(port, '127.0.0.1');
        let response = '';
        let index = 0;
        const timer = setInterval(() => {
          if (index < drip.length) socket.write(drip[index++]!);
        }, 200);
        const finish = () => {
          clearInterval(timer);
          socket.destroy();
          resolve({ response, elapsedMs: performance.now() - started });
        };
        socket.on('connect', () => socket.write(head));
        socket.on('data', (chunk) => (response += String(chunk)));
        socket.on('end', finish);
        socket.on('close', finish);
        socket.on('error', finish);
        setTimeout(finish, 20_000).unref();
      });

    it('answers a slow client 408 in the JSON error shape after the timeout, serving others meanwhile', async (context) => {
      const running = await serve(context, {
        BYLINE_REQUEST_TIMEOUT_MS: '2000',
        BYLINE_HEADERS_TIMEOUT_MS: '1500',
      });
      const loop = startLoadLoop({
        origin: running.origin,
        durationMs: 10_000,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
      });
      try {
        const [headers, body] = await Promise.all([
          slowClient(
            running.port,
            'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n',
            'X-Slow: ' + 'a'.repeat(200),
          ),
          slowClient(
            running.port,
            'POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 300\r\n\r\n',
            `{"query":"{ article(slug: \\"${REFERENCE_SLUG}\\") { headline } }"}`.padEnd(300, ' '),
          ),
        ]);
        loop.stop();
        const answers = await loop.done;
        for (const [what, slow] of [
          ['trickled headers', headers],
          ['trickled body', body],
        ] as const) {
          console.info(
            `[faults] slow client (${what}): answered after ${slow.elapsedMs.toFixed(0)} ms: ${slow.response.split('\r\n')[0]}`,
          );
          expect(slow.response, what).toMatch(/^HTTP\/1\.1 408 /);
          expect(slow.response, what).toMatch(/content-type: application\/json/i);
          const json = JSON.parse(slow.response.slice(slow.response.indexOf('\r\n\r\n') + 4)) as {
            errors: { message: string; extensions: { code: string } }[];
          };
          expect(json.errors[0]!.message, what).toMatch(/\w/);
          expect(json.errors[0]!.extensions.code, what).toBe('REQUEST_TIMEOUT');
          // Closed at the timeout, not held for Node's default minutes.
          expect(slow.elapsedMs, what).toBeLessThan(10_000);
        }
        const summary = summarize(answers);
        console.info(
          `[faults] others during the slow clients: ${summary.total} answers, p50 ${summary.medianMs.toFixed(0)} ms, max ${summary.maxMs.toFixed(0)} ms`,
        );
        expect(summary.total).toBeGreaterThan(20);
        const notGood = answers.filter((answer) => !isGood(answer));
        expect(notGood.length, describeAnswers(notGood)).toBe(0);
        expect(running.alive()).toBe(true);
      } finally {
        loop.stop();
        await loop.done;
      }
    }, 60_000);

    it('on SIGTERM finishes the requests in flight, refuses new connections and exits 0 within the grace period', async (context) => {
      const GRACE_MS = 4000;
      const running = await serve(context, {
        BYLINE_SHUTDOWN_GRACE_MS: String(GRACE_MS),
        LOG_LEVEL: 'info',
        // Room for the loop's readers and the held requests each to have a connection, and to wait on
        // the lock past the point where a loaded machine has delivered all three.
        BYLINE_POOL_SIZE: '16',
        BYLINE_POOL_ACQUIRE_TIMEOUT_MS: '5000',
        BYLINE_STATEMENT_TIMEOUT_MS: '15000',
      });
      const loop = startLoadLoop({
        origin: running.origin,
        durationMs: 8000,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
      });
      // Requests surely in flight: uncached reads of related links, a table the loop never reads,
      // waiting on a lock the test holds; so the backends seen waiting are theirs.
      const locker = new pg.Client({ connectionString: cluster!.url });
      locker.on('error', () => undefined);
      await locker.connect();
      let signalledAt = 0;
      try {
        await sleep(1000);
        await locker.query('begin');
        await locker.query('lock table related_links in access exclusive mode');
        const held = Array.from({ length: 3 }, () => heldRequest(running.origin));
        await eventually(
          async () => {
            // Not on the locker's connection: in its transaction pg_stat_activity would be one frozen snapshot.
            const { rows } = await withClient(cluster!.url, (admin) =>
              admin.query(
                `select count(*)::int as n from pg_stat_activity where application_name = 'byline' and wait_event_type = 'Lock'`,
              ),
            );
            return (rows[0] as { n: number }).n >= 3 ? true : undefined;
          },
          100,
          'three requests to wait on the lock',
        );
        running.signal('SIGTERM');
        signalledAt = performance.now();
        await eventually(
          async () =>
            fetch(`${running.origin}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
              () => undefined,
              () => true,
            ),
          20,
          'the server to refuse new connections',
        );
        await locker.query('commit');
        const answers = await Promise.all(held);
        expect(answers).toEqual(answers.map(() => ({ status: 200, links: expect.any(Number) })));
        const { code, signal } = await Promise.race([
          running.exited,
          sleep(GRACE_MS + 2000).then(() => ({ code: 'still running', signal: null })),
        ]);
        const exitMs = performance.now() - signalledAt;
        loop.stop();
        const loopAnswers = await loop.done;
        // Sent before the signal: answered in full. The one exception is a request written on a
        // keep-alive connection the server had already closed as idle, which it never read: the
        // connection closes with no answer, and HTTP lets the client retry it
        // (https://www.rfc-editor.org/rfc/rfc9112#section-9.3.1). Sent after: refused, or answered in full.
        const before = loopAnswers.filter((answer) => answer.started < signalledAt);
        const after = loopAnswers.filter((answer) => answer.started >= signalledAt);
        const closedUnread = (answer: Answer) =>
          answer.status === 'error' &&
          /^fetch failed \((UND_ERR_SOCKET|ECONNRESET)\)$/.test(answer.problem ?? '');
        const finishedAfterSignal = before.filter((answer) => isGood(answer) && answer.ended > signalledAt);
        console.info(
          `[faults] SIGTERM under load: exit ${String(code)} after ${exitMs.toFixed(0)} ms; ${before.length} loop requests sent before the signal, ${before.filter(isGood).length} answered 200 (${finishedAfterSignal.length} of them after the signal), ${before.filter(closedUnread).length} on a connection closed unread; ${after.length} sent after, ${after.filter((answer) => answer.status === 'error').length} refused`,
        );
        expect({ code, signal }, running.log().slice(-3000)).toEqual({ code: 0, signal: null });
        // The grace period bounds the requests; closing the pool and exiting take a moment more.
        expect(exitMs).toBeLessThanOrEqual(GRACE_MS + 1500);
        const cutShort = before.filter((answer) => !isGood(answer) && !closedUnread(answer));
        expect(cutShort.length, describeAnswers(cutShort)).toBe(0);
        expect(before.filter(closedUnread).length).toBeLessThan(before.length / 4);
        const wrongAfter = after.filter((answer) => typeof answer.status === 'number' && !isGood(answer));
        expect(wrongAfter.length, describeAnswers(wrongAfter)).toBe(0);
        expect(running.log()).toMatch(/"msg":"shutting down"/);
        // The pool is closed: no connection of the server's is left.
        const left = await withClient(cluster!.url, (client) =>
          client.query(`select 1 from pg_stat_activity where application_name like 'byline%'`),
        );
        expect(left.rows).toEqual([]);
      } finally {
        loop.stop();
        await loop.done;
        await locker.end().catch(() => undefined);
      }
    }, 60_000);
  });
});
