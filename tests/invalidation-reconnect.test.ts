import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePostgres, type TestDatabase } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';
import { startThrowawayRedis, type ThrowawayRedis } from './helpers/throwaway-redis.ts';
import { ingestDocuments } from './helpers/embedding.ts';
import { describeAnswers, improperAnswers, isGood, startLoadLoop, summarize } from './helpers/load-loop.ts';
import { useDatabase } from './helpers/use-gateway.ts';
import { eventually, withClient } from './helpers/waiting.ts';

/**
 * NOTIFY is never replayed: a change committed while the cache's listening connection is down is
 * lost. The gateway must then treat everything as changed when it listens again. Here the listener's
 * backend is terminated, and kept from reconnecting (the database refuses new connections) while an
 * article changes, so its notification certainly goes unheard.
 */

const ARTICLE = 'query ($slug: String!) { article(slug: $slug) { headline } }';

function adminUrl(url: string): string {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  return admin.href;
}

async function cachedGet(origin: string, slug: string) {
  const search = new URLSearchParams({ query: ARTICLE, variables: JSON.stringify({ slug }) });
  const response = await fetch(`${origin}/graphql?${search}`, {
    headers: { 'apollo-require-preflight': 'true' },
  });
  const body = (await response.json()) as { data?: { article?: { headline: string } | null } };
  return { cache: response.headers.get('x-cache'), headline: body.data?.article?.headline };
}

function describeReconnect(store: 'memory' | 'redis') {
  describePostgres(`the response cache (${store} store) after its listener lost a change`, (engine) => {
    const story = makeArticle({
      slug: `listener-${randomUUID().slice(0, 8)}`,
      headline: 'Before the outage',
    });
    // The demo content for the request loop that runs through the outage.
    const fixture = useDatabase(engine, { demo: true, articles: [story] });
    let redis: ThrowawayRedis | undefined;
    let gateway: TestGateway | undefined;
    let skipped = '';

    beforeAll(async () => {
      // One loop from one address: the per-IP limit would turn it into 429s.
      const env: Record<string, string> = {
        DATABASE_URL: fixture.database.url!,
        BYLINE_RATE_LIMIT_PER_MINUTE: '0',
      };
      if (store === 'redis') {
        const started = await startThrowawayRedis();
        if ('skipped' in started) {
          skipped = started.skipped;
          return;
        }
        redis = started;
        env['REDIS_URL'] = redis.url;
      }
      gateway = await startTestGateway(fixture.database as TestDatabase, { env });
    });
    afterAll(async () => {
      await gateway?.close();
      await redis?.destroy();
    });

    it('serves no stale answer once it listens again', async (context) => {
      if (skipped) context.skip(skipped);
      const origin = gateway!.origin;
      const database = new URL(fixture.database.url!).pathname.slice(1);
      await eventually(
        async () => ((await cachedGet(origin, story.slug)).cache === 'HIT' ? true : undefined),
        300,
        'the story to be cached',
      );
      // Requests all along: while the database refuses new connections, and once it takes them again.
      const loop = startLoadLoop({ origin, concurrency: 4, durationMs: 90_000, maxRequests: 5000 });
      await eventually(
        async () => (loop.answers.length >= 20 ? true : undefined),
        600,
        'the loop to get going',
      );
      // A connection of our own, opened before the database refuses new ones, writes the change.
      const writer = new pg.Client({ connectionString: fixture.database.url! });
      writer.on('error', () => undefined);
      await writer.connect();
      try {
        await withClient(adminUrl(fixture.database.url!), async (admin) => {
          await admin.query(`alter database "${database}" allow_connections false`);
          try {
            const { rows } = await admin.query<{ pid: number }>(
              `select pid from pg_stat_activity where datname = $1 and application_name = 'byline-cache-listener'`,
              [database],
            );
            expect(rows).toHaveLength(1);
            await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
            await eventually(
              async () => {
                const { rowCount } = await admin.query('select 1 from pg_stat_activity where pid = $1', [
                  rows[0]!.pid,
                ]);
                return rowCount === 0 ? true : undefined;
              },
              300,
              'the listener backend to end',
            );
            // Committed while nobody listens: its NOTIFY reaches no one.
            await writer.query('update articles set headline = $1 where slug = $2', [
              'After the outage',
              story.slug,
            ]);
          } finally {
            await admin.query(`alter database "${database}" allow_connections true`);
          }
        });
      } finally {
        await writer.end();
      }
      // Listening again: a hit comes back, and it is of the new version, never the entry from before.
      const answer = await eventually(
        async () => {
          const next = await cachedGet(origin, story.slug);
          return next.cache === 'HIT' ? next : undefined;
        },
        300,
        'the cache to serve hits again',
      );
      expect(answer.headline).toBe('After the outage');
      const countAtHit = loop.answers.length;
      await eventually(
        async () => (loop.answers.length >= countAtHit + 20 ? true : undefined),
        600,
        'requests after the reconnect',
      );
      loop.stop();
      const answers = await loop.done;
      // Right, or a proper 503 while no connection could be had; never a 500, a hang or a stale body.
      const improper = improperAnswers(answers);
      expect(improper, describeAnswers(improper)).toEqual([]);
      const last = answers.slice(-10);
      expect(
        last.filter((entry) => !isGood(entry)),
        describeAnswers(last),
      ).toEqual([]);
      console.info(`[invalidation-reconnect ${store}] under load:`, JSON.stringify(summarize(answers)));
    }, 180_000);

    it('still hears changes made after it reconnected', async (context) => {
      if (skipped) context.skip(skipped);
      await ingestDocuments(fixture.db, [{ ...story, headline: 'After the reconnect' }]);
      await eventually(
        async () =>
          (await cachedGet(gateway!.origin, story.slug)).headline === 'After the reconnect'
            ? true
            : undefined,
        300,
        'the edit to be served',
      );
    });
  });
}

describeReconnect('memory');
describeReconnect('redis');
