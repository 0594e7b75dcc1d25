/**
 * `node bench/webhooks.ts [--database-url URL] [--events 2000] [--endpoints 1,4] [--workers 4]`
 *
 * Change events delivered to a loopback receiver per second: a fresh database (created, migrated,
 * dropped after), a backlog of `events` change-log events appended at once, then for each endpoint
 * count the queue is started (graphile-worker, `workers` jobs at once, as `byline serve` runs it) and
 * timed until every event has been dispatched, signed, POSTed, answered 200 and recorded. Each endpoint
 * is served one delivery at a time (position order), so several endpoints show the queue's own rate.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '../src/db/migrate.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { createPartner } from '../src/modules/partners/index.ts';
import {
  allowedNetworks,
  createWebhookEndpoint,
  migrateWebhookQueue,
  startWebhookQueue,
} from '../src/modules/webhooks/index.ts';
import { createLogger } from '../src/shared/logger.ts';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    events: { type: 'string', default: '2000' },
    endpoints: { type: 'string', default: '1,4' },
    workers: { type: 'string', default: '4' },
  },
});
const base = new URL(
  values['database-url'] ?? process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
);
const events = Number(values.events);
const workers = Number(values.workers);
const logger = createLogger('warn');

const received = { count: 0 };
const receiver = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received.count += 1;
    res.writeHead(200).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

async function admin(run: (client: pg.Client) => Promise<void>) {
  const client = new pg.Client({ connectionString: base.href });
  await client.connect();
  try {
    await run(client);
  } finally {
    await client.end();
  }
}

const results: string[] = [];
for (const endpointCount of values.endpoints.split(',').map(Number)) {
  const name = `byline_bench_webhooks_${process.pid}_${endpointCount}`;
  await admin((client) => client.query(`create database ${name}`).then(() => undefined));
  const target = new URL(base.href);
  target.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: target.href, poolSize: workers + 4 });
  try {
    await migrateToLatest(database.db);
    await migrateWebhookQueue(target.href, logger);
    const { partner } = await createPartner(database.db, { name: 'Bench Partner' });
    const settings = { available: true as const, allowed: allowedNetworks(['127.0.0.1']) };
    for (let i = 0; i < endpointCount; i += 1) {
      await createWebhookEndpoint(database.db, settings, partner.id, { url });
    }
    // A backlog of published-article events, as a burst of edits leaves it.
    await sql`insert into article_changes (position, type, occurred_at, article_id, slug, revision,
        section_ids, tag_ids, published_at, state_before, state_after)
      select g, 'updated', now(), g, 'bench-' || g, 2, '{}', '{}', now(), 'published', 'published'
      from generate_series(1, ${events}::int) g`.execute(database.db);
    await sql`update article_change_log set last_position = ${events}`.execute(database.db);
    received.count = 0;
    const total = events * endpointCount;
    const started = performance.now();
    const queue = await startWebhookQueue({
      db: database.db,
      connectionString: target.href,
      concurrency: workers,
      timeoutMs: 15_000,
      retrySchedule: [0, 5000],
      allowedNetworks: ['127.0.0.1'],
      logger,
      pollMs: 100,
    });
    let delivered = 0;
    while (delivered < total) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const row = await database.db
        .selectFrom('webhook_deliveries')
        .select(sql<number>`count(*)::int`.as('n'))
        .where('status', '=', 'delivered')
        .executeTakeFirstOrThrow();
      delivered = row.n;
    }
    const seconds = (performance.now() - started) / 1000;
    await queue.stop();
    const line = `${endpointCount} endpoint(s), ${workers} workers: ${total} deliveries in ${seconds.toFixed(1)} s = ${(total / seconds).toFixed(0)} deliveries/s (receiver got ${received.count})`;
    console.log(line);
    results.push(line);
  } finally {
    await database.close();
    await admin((client) => client.query(`drop database ${name} with (force)`).then(() => undefined));
  }
}
receiver.close();
