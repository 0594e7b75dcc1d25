import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { startBylineProcess, type BylineProcess } from './helpers/byline-process.ts';
import { ingestDocuments } from './helpers/embedding.ts';
import { describePostgres } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { describeAnswers, improperAnswers, startLoadLoop, summarize } from './helpers/load-loop.ts';
import { startThrowawayPgbouncer, type ThrowawayPgbouncer } from './helpers/throwaway-pgbouncer.ts';
import { useDatabase } from './helpers/use-gateway.ts';
import { eventually } from './helpers/waiting.ts';

/**
 * Debian's PgBouncer (1.18) in transaction pooling, in front of Postgres: consecutive transactions
 * of one client run on different server sessions, named statements of one session are unknown to
 * the next, and LISTEN cannot work through it. Byline is told (DATABASE_POOLER) and adapts.
 */

const ARTICLE = 'query ($slug: String!) { article(slug: $slug) { headline } }';

async function headlineOf(origin: string, slug: string) {
  const search = new URLSearchParams({ query: ARTICLE, variables: JSON.stringify({ slug }) });
  const response = await fetch(`${origin}/graphql?${search}`, {
    headers: { 'apollo-require-preflight': 'true' },
  });
  const body = (await response.json()) as { data?: { article?: { headline: string } | null } };
  return body.data?.article?.headline;
}

it('requires a direct DATABASE_LISTEN_URL with DATABASE_POOLER=pgbouncer-transaction', () => {
  const env = { DATABASE_URL: 'postgres://app@bouncer:6432/news', DATABASE_POOLER: 'pgbouncer-transaction' };
  expect(() => loadConfig(env)).toThrow(ConfigError);
  expect(() => loadConfig(env)).toThrow(/DATABASE_LISTEN_URL: expected a direct PostgreSQL URL/);
  expect(loadConfig({ ...env, DATABASE_LISTEN_URL: 'postgres://app@primary:5432/news' })).toMatchObject({
    databasePooler: 'pgbouncer-transaction',
  });
  expect(() => loadConfig({ DATABASE_POOLER: 'pgbouncer-session' })).toThrow(
    'DATABASE_POOLER: expected one of none, pgbouncer-transaction, got "pgbouncer-session"',
  );
});

describePostgres('byline serve behind PgBouncer in transaction pooling', (engine) => {
  const fixture = useDatabase(engine, { demo: true });
  const story = makeArticle({ slug: `pooled-${randomUUID().slice(0, 8)}`, headline: 'Pooled version 0' });
  let bouncer: ThrowawayPgbouncer | undefined;
  let byline: BylineProcess | undefined;
  let skipped = '';

  beforeAll(async () => {
    await ingestDocuments(fixture.db, [story]);
    const started = await startThrowawayPgbouncer(fixture.database.url!, { poolSize: 3 });
    if ('skipped' in started) {
      skipped = started.skipped;
      return;
    }
    bouncer = started;
    byline = await startBylineProcess({
      databaseUrl: bouncer.url,
      startTimeoutMs: 120_000,
      env: {
        DATABASE_POOLER: 'pgbouncer-transaction',
        DATABASE_LISTEN_URL: fixture.database.url!,
        BYLINE_DEMO: 'false',
        // More client connections than PgBouncer has server connections: they are multiplexed.
        BYLINE_POOL_SIZE: '10',
        BYLINE_PREPARED_STATEMENTS: 'true',
        LOG_LEVEL: 'info',
      },
    });
    await eventually(
      async () => ((await fetch(`${byline!.origin}/readyz`)).status === 200 ? true : undefined),
      600,
      'byline to be ready behind PgBouncer',
    );
  }, 180_000);
  afterAll(async () => {
    await byline?.kill();
    await bouncer?.destroy();
  });

  it('answers a request loop without a single failed statement, and invalidation still works', async (context) => {
    if (skipped) context.skip(skipped);
    const loop = startLoadLoop({
      origin: byline!.origin,
      concurrency: 8,
      durationMs: 120_000,
      maxRequests: 100_000,
    });
    // Edits while the loop runs: each is heard (LISTEN on the direct connection) and served.
    for (let version = 1; version <= 3; version += 1) {
      await ingestDocuments(fixture.db, [{ ...story, headline: `Pooled version ${version}` }]);
      await eventually(
        async () =>
          (await headlineOf(byline!.origin, story.slug)) === `Pooled version ${version}` ? true : undefined,
        300,
        `edit ${version} to be served`,
      );
    }
    await eventually(async () => (loop.answers.length >= 300 ? true : undefined), 1200, '300 answers');
    loop.stop();
    const answers = await loop.done;
    const improper = improperAnswers(answers);
    expect(improper, describeAnswers(improper)).toEqual([]);
    expect(
      answers.filter((answer) => answer.status !== 200),
      describeAnswers(answers),
    ).toEqual([]);
    expect(byline!.log()).not.toMatch(/prepared statement .* does not exist|unsupported startup parameter/);
    console.info('[pgbouncer] transaction pooling under load:', JSON.stringify(summarize(answers)));
  });

  it('comes back after PgBouncer restarts under load, with proper 503s meanwhile', async (context) => {
    if (skipped) context.skip(skipped);
    const loop = startLoadLoop({
      origin: byline!.origin,
      concurrency: 6,
      durationMs: 120_000,
      maxRequests: 100_000,
    });
    await eventually(
      async () => (loop.answers.length >= 50 ? true : undefined),
      600,
      'the loop to get going',
    );
    await bouncer!.restart();
    const restartedAt = loop.answers.length;
    await eventually(
      async () => {
        const recent = loop.answers.slice(restartedAt);
        return recent.filter((answer) => answer.status === 200 && answer.problem === undefined).length >= 100
          ? true
          : undefined;
      },
      1200,
      'good answers after the restart',
    );
    loop.stop();
    const answers = await loop.done;
    const improper = improperAnswers(answers);
    expect(improper, describeAnswers(improper)).toEqual([]);
    console.info('[pgbouncer] restart under load:', JSON.stringify(summarize(answers)));
  });
});
