import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openDatabase, type DatabaseHandle } from '../src/db/open-database.ts';
import { startBylineProcess, type BylineProcess } from './helpers/byline-process.ts';
import { ingestDocuments } from './helpers/embedding.ts';
import { makeArticle } from './helpers/fixtures.ts';
import {
  describeAnswers,
  improperAnswers,
  isGood,
  startLoadLoop,
  summarize,
  type Answer,
} from './helpers/load-loop.ts';
import { startThrowawayPostgres, type ThrowawayPostgres } from './helpers/throwaway-postgres.ts';
import { eventually, withClient } from './helpers/waiting.ts';

/**
 * A throwaway primary with a real streaming replica (pg_basebackup -R), and `byline serve` reading
 * from the replica: where reads go, read-your-writes, a lagging replica (replay paused), a replica
 * stopped under a request loop. Where requests went is read from /metrics, as an operator would.
 */

const ARTICLE = 'query ($slug: String!) { article(slug: $slug) { headline } }';

async function metric(origin: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith(`${name}{${labels}} `));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

async function headlineOf(origin: string, slug: string): Promise<string | undefined> {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: ARTICLE, variables: { slug } }),
  });
  const body = (await response.json()) as { data?: { article?: { headline: string } | null } };
  return body.data?.article?.headline;
}

describe('read replicas', () => {
  it('reads DATABASE_REPLICA_URLS as a list of PostgreSQL URLs', () => {
    const config = loadConfig({ DATABASE_REPLICA_URLS: 'postgres://r1:5432/news, postgresql://r2/news' });
    expect(config.databaseReplicaUrls.map(String)).toEqual([
      'postgres://r1:5432/news',
      'postgresql://r2/news',
    ]);
    expect(() => loadConfig({ DATABASE_REPLICA_URLS: 'postgres://r1/news,mysql://r2/news' })).toThrow(
      'DATABASE_REPLICA_URLS: expected a URL with protocol postgres: or postgresql:, got "mysql://r2/news"',
    );
  });
});

describe('byline serve on a primary with a streaming replica', () => {
  let primary: ThrowawayPostgres | undefined;
  let replica: ThrowawayPostgres | undefined;
  let writer: DatabaseHandle | undefined;
  let byline: BylineProcess | undefined;
  let skipped = '';
  let replicaPool = '';
  const story = makeArticle({
    slug: `replicated-${randomUUID().slice(0, 8)}`,
    headline: 'Replicated version 1',
  });

  beforeAll(async () => {
    const started = await startThrowawayPostgres();
    if ('skipped' in started) {
      skipped = started.skipped;
      return;
    }
    primary = started;
    replica = await primary.startReplica();
    replicaPool = `pool="127.0.0.1:${replica.port}/postgres"`;
    byline = await startBylineProcess({
      databaseUrl: primary.url,
      startTimeoutMs: 120_000,
      env: {
        DATABASE_REPLICA_URLS: replica.url,
        BYLINE_REPLICA_MAX_LAG_MS: '1000',
        BYLINE_REPLICA_CHECK_INTERVAL_MS: '100',
      },
    });
    writer = await openDatabase({ databaseUrl: primary.url });
    await ingestDocuments(writer.db, [story]);
    const replicaUp = `replica="127.0.0.1:${replica.port}/postgres"`;
    await eventually(
      async () =>
        (await metric(byline!.origin, 'byline_db_replica_up', replicaUp)) === 1 ? true : undefined,
      600,
      'the replica to be up',
    );
    await eventually(
      async () =>
        (await headlineOf(byline!.origin, story.slug)) === 'Replicated version 1' ? true : undefined,
      600,
      'the story to be served',
    );
  }, 240_000);
  afterAll(async () => {
    await byline?.kill();
    await writer?.close();
    await replica?.destroy();
    await primary?.destroy();
  });

  const ready = (context: { skip: (note?: string) => void }) => {
    if (skipped) context.skip(skipped);
  };
  const snapshots = async (pool: string) => metric(byline!.origin, 'byline_db_snapshots_total', pool);

  it('sends reads to the healthy replica', async (context) => {
    ready(context);
    const [onReplica, onPrimary] = [await snapshots(replicaPool), await snapshots('pool="primary"')];
    for (let index = 0; index < 20; index += 1) {
      expect(await headlineOf(byline!.origin, story.slug)).toBe('Replicated version 1');
    }
    expect((await snapshots(replicaPool)) - onReplica).toBe(20);
    expect((await snapshots('pool="primary"')) - onPrimary).toBe(0);
  });

  it('reads its writes from the primary while the replica has not replayed them, and skips a replica lagging past the bound', async (context) => {
    ready(context);
    // Requests all along: a replica paused, then lagging past the bound, then caught up.
    const loop = startLoadLoop({
      origin: byline!.origin,
      concurrency: 4,
      durationMs: 150_000,
      maxRequests: 20_000,
    });
    await withClient(replica!.url, (client) => client.query('select pg_wal_replay_pause()'));
    try {
      await ingestDocuments(writer!.db, [{ ...story, headline: 'Replicated version 2' }]);
      await eventually(
        async () =>
          (await headlineOf(byline!.origin, story.slug)) === 'Replicated version 2' ? true : undefined,
        300,
        'the edit to be served',
      );
      const onReplica = await snapshots(replicaPool);
      for (let index = 0; index < 10; index += 1) {
        expect(await headlineOf(byline!.origin, story.slug)).toBe('Replicated version 2');
      }
      // The replica still holds version 1: nothing more was read from it.
      expect(await snapshots(replicaPool)).toBe(onReplica);
      const { rows } = await withClient(replica!.url, (client) =>
        client.query<{ headline: string }>('select headline from articles where slug = $1', [story.slug]),
      );
      expect(rows[0]?.headline).toBe('Replicated version 1');
      // Still paused while the primary writes on: its lag passes the 1 s bound and says so.
      const replicaLabel = `replica="127.0.0.1:${replica!.port}/postgres"`;
      await eventually(
        async () => {
          await withClient(primary!.url, (client) => client.query('select pg_switch_wal(), txid_current()'));
          return (await metric(byline!.origin, 'byline_db_replica_lag_seconds', replicaLabel)) > 1
            ? true
            : undefined;
        },
        600,
        'the lag to pass the bound',
      );
      expect(await metric(byline!.origin, 'byline_db_replica_up', replicaLabel)).toBe(0);
      const onReplicaLagging = await snapshots(replicaPool);
      expect(await headlineOf(byline!.origin, story.slug)).toBe('Replicated version 2');
      expect(await snapshots(replicaPool)).toBe(onReplicaLagging);
      expect(
        await metric(byline!.origin, 'byline_db_replica_fallbacks_total', 'reason="lagging"'),
      ).toBeGreaterThan(0);
      expect(
        await metric(byline!.origin, 'byline_db_replica_fallbacks_total', 'reason="behind-write"'),
      ).toBeGreaterThan(0);
    } finally {
      await withClient(replica!.url, (client) => client.query('select pg_wal_replay_resume()'));
    }
    // Caught up: reads return to it, and it has the edit.
    await eventually(
      async () => {
        const before = await snapshots(replicaPool);
        const headline = await headlineOf(byline!.origin, story.slug);
        expect(headline).toBe('Replicated version 2');
        return (await snapshots(replicaPool)) > before ? true : undefined;
      },
      600,
      'reads to return to the replica',
    );
    loop.stop();
    const answers = await loop.done;
    // Lag costs the replica its reads, never a request: every answer right, from one or the other.
    const bad = answers.filter((answer) => !isGood(answer));
    expect(bad, describeAnswers(bad)).toEqual([]);
    expect(answers.length).toBeGreaterThanOrEqual(20);
    console.info('[read replicas] replica lagging under load:', JSON.stringify(summarize(answers)));
  }, 180_000);

  it('serves through a primary restart with the replica configured, under a request loop', async (context) => {
    ready(context);
    const loop = startLoadLoop({
      origin: byline!.origin,
      concurrency: 4,
      durationMs: 150_000,
      maxRequests: 20_000,
    });
    try {
      await eventually(
        async () => (loop.answers.length >= 40 ? true : undefined),
        600,
        'the loop to get going',
      );
      await primary!.restart('fast');
      const countAtUp = loop.answers.length;
      await eventually(
        async () => (loop.answers.length >= countAtUp + 100 ? true : undefined),
        1200,
        'answers after the restart',
      );
      // A write after the restart is read back, whichever server the next snapshot is taken on.
      await eventually(
        async () => {
          await ingestDocuments(writer!.db, [{ ...story, headline: 'After the primary restart' }]);
          return true;
        },
        100,
        'the edit to be written once the primary is back',
      );
      await eventually(
        async () =>
          (await headlineOf(byline!.origin, story.slug)) === 'After the primary restart' ? true : undefined,
        300,
        'the edit to be served',
      );
      for (let index = 0; index < 10; index += 1)
        expect(await headlineOf(byline!.origin, story.slug)).toBe('After the primary restart');
    } finally {
      loop.stop();
    }
    const answers = await loop.done;
    // Right, or a proper 503 while the primary restarts; never a 500, a hang or a stale body.
    const improper = improperAnswers(answers);
    expect(improper, describeAnswers(improper)).toEqual([]);
    const last = answers.slice(-20);
    expect(
      last.filter((answer) => !isGood(answer)),
      describeAnswers(last),
    ).toEqual([]);
    console.info('[read replicas] primary restart under load:', JSON.stringify(summarize(answers)));
  }, 180_000);

  it('falls back to the primary when the replica stops under a request loop', async (context) => {
    ready(context);
    const loop = startLoadLoop({
      origin: byline!.origin,
      concurrency: 6,
      durationMs: 120_000,
      maxRequests: 100_000,
    });
    await eventually(
      async () => (loop.answers.length >= 60 ? true : undefined),
      600,
      'the loop to get going',
    );
    await replica!.stop('fast');
    const replicaLabel = `replica="127.0.0.1:${replica!.port}/postgres"`;
    await eventually(
      async () =>
        (await metric(byline!.origin, 'byline_db_replica_up', replicaLabel)) === 0 ? true : undefined,
      600,
      'the replica to be seen down',
    );
    const downAt = performance.now();
    const countAtDown = loop.answers.length;
    await eventually(
      async () => (loop.answers.length >= countAtDown + 150 ? true : undefined),
      1200,
      'answers after',
    );
    loop.stop();
    const answers = await loop.done;
    const improper = improperAnswers(answers);
    expect(improper, describeAnswers(improper)).toEqual([]);
    // A statement running on the replica as it stops fails its request with a proper 503 (a request
    // whose first statement fails there is answered from the primary instead): at most one per
    // request in flight.
    const failed = answers.filter((answer: Answer) => answer.status !== 200);
    expect(failed.length, describeAnswers(failed)).toBeLessThanOrEqual(6);
    expect(answers.filter((answer) => answer.started > downAt && answer.status !== 200)).toEqual([]);
    console.info('[read replicas] replica stopped under load:', JSON.stringify(summarize(answers)));
  });
});
