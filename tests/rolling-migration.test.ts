import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBylineProcess, type BylineProcess } from './helpers/byline-process.ts';
import { describePostgres } from './helpers/engines.ts';
import { describeAnswers, improperAnswers, startLoadLoop, summarize } from './helpers/load-loop.ts';
import { useDatabase } from './helpers/use-gateway.ts';
import { eventually, withClient } from './helpers/waiting.ts';

/**
 * Zero-downtime schema change, expand step: an instance running the previous release keeps answering,
 * named (prepared) statements included, while the next release's migration adds to the tables it
 * reads (docs/operations.md, "Rolling out a migration").
 */
describePostgres('an instance of the previous release while an expand migration applies', (engine) => {
  const fixture = useDatabase(engine, { demo: true });
  let byline: BylineProcess | undefined;

  beforeAll(async () => {
    byline = await startBylineProcess({
      databaseUrl: fixture.database.url!,
      startTimeoutMs: 120_000,
      env: { BYLINE_DEMO: 'false', BYLINE_PREPARED_STATEMENTS: 'true' },
    });
  }, 180_000);
  afterAll(async () => {
    await byline?.kill();
  });

  it('keeps answering right through added columns, a table and an index, at most a 503 per request in flight', async () => {
    const loop = startLoadLoop({
      origin: byline!.origin,
      concurrency: 6,
      durationMs: 120_000,
      maxRequests: 100_000,
    });
    await eventually(
      async () => (loop.answers.length >= 100 ? true : undefined),
      600,
      'the loop to get going',
    );
    const before = loop.answers.length;
    // What an expand migration may do: add nullable columns (and one with a default) to tables every
    // request reads, a new table, an index built concurrently. Nothing is dropped or renamed until the
    // contract step, a release later.
    await withClient(fixture.database.url!, async (client) => {
      await client.query('alter table articles add column expand_note text');
      await client.query(`alter table articles add column expand_flag boolean not null default false`);
      await client.query('alter table people add column expand_pronouns text');
      await client.query(
        'create table expand_audit (id bigserial primary key, article_id bigint, at timestamptz)',
      );
      await client.query('create index concurrently expand_articles_note on articles (expand_note)');
    });
    await eventually(
      async () => (loop.answers.length >= before + 200 ? true : undefined),
      1200,
      'answers after the change',
    );
    loop.stop();
    const answers = await loop.done;
    const improper = improperAnswers(answers);
    expect(improper, describeAnswers(improper)).toEqual([]);
    // Named statements sent before the change and run after it are refused by Postgres ("cached plan
    // must not change result type"): those few requests answer 503 with Retry-After, and every
    // connection prepares the new shape from then on. At most one per request in flight for each of the
    // three tables changed.
    const unavailable = answers.filter((answer) => answer.status !== 200);
    expect(unavailable.length, describeAnswers(unavailable)).toBeLessThanOrEqual(3 * 6);
    const lastFailure = Math.max(0, ...unavailable.map((answer) => answers.indexOf(answer)));
    expect(answers.length - lastFailure).toBeGreaterThanOrEqual(150);
    console.info('[rolling migration] expand under load:', JSON.stringify(summarize(answers)));
  });
});
