/**
 * Subscription fan-out: N idle subscribers (default 1,000) over loopback, each its own WebSocket
 * connection following `Subscription.changes`, and one content change per second for S seconds
 * (default 30). Reports the delivery latency (commit → a subscriber has the event, over every
 * subscriber and event) at p50/p99/max, and the server's RSS before and with the subscribers.
 *
 * The server is `byline serve` in a child process (as deployed) on PostgreSQL; this process writes
 * the changes (ingest, as `byline ingest` does) and runs the clients.
 *
 *   npm run bench:fan-out -- [--subscribers 1000] [--seconds 30] [--database-url postgres://…]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { openDatabase } from '../../src/db/open-database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { validateArticleDocument, type ArticleDocument } from '../../src/ingest/article-document.ts';
import { ingestArticle } from '../../src/ingest/ingest-article.ts';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '30' },
    'database-url': {
      type: 'string',
      default: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    },
  },
});
const subscribers = Number(values.subscribers);
const seconds = Number(values.seconds);
const adminUrl = values['database-url'];
const DATABASE = 'byline_bench_fan_out';
const CLI = fileURLToPath(new URL('../../bin/byline.mjs', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function article(index: number): ArticleDocument {
  return {
    slug: `fan-out-${index}`,
    headline: `Fan-out bench story ${index}`,
    standfirst: 'An invented story for the fan-out benchmark.',
    publishedAt: new Date(Date.UTC(2024, 0, 1)).toISOString(),
    section: { slug: 'bench', name: 'Bench' },
    body: [{ type: 'paragraph', text: `Paragraph of invented story ${index}.` }],
  };
}

async function main() {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${DATABASE} with (force)`);
  await admin.query(`create database ${DATABASE}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${DATABASE}`;
  const databaseUrl = url.toString();
  const writer = await openDatabase({ databaseUrl, poolSize: 2 });
  await migrateToLatest(writer.db);

  const port = await freePort();
  const server = spawn(process.execPath, [CLI, 'serve'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      BYLINE_DEMO: 'false',
      BYLINE_RATE_LIMIT_PER_MINUTE: '0',
      BYLINE_SUBSCRIPTIONS_PER_KEY: String(subscribers * 2),
      BYLINE_SUBSCRIPTIONS_MAX: String(subscribers * 2),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const origin = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    const ready = await fetch(`${origin}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (attempt > 300) throw new Error('byline serve did not become ready');
    await sleep(100);
  }
  const rssIdle = rssMb(server.pid!);

  const received = new Map<string, number[]>();
  const clients = [];
  let subscribed = 0;
  for (let index = 0; index < subscribers; index++) {
    const client = createClient({
      url: `ws://127.0.0.1:${port}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    clients.push(client);
    client.subscribe<{ changes: { node: { slug: string } } }>(
      { query: 'subscription { changes { cursor node { position type slug } } }' },
      {
        next: (result) => {
          const slug = result.data?.changes.node.slug;
          if (!slug) return;
          const times = received.get(slug) ?? [];
          times.push(performance.now());
          received.set(slug, times);
        },
        error: (error) => console.error('subscription error', error),
        complete: () => undefined,
      },
    );
    subscribed += 1;
    if (index % 100 === 99) await sleep(50);
  }
  // Subscriptions are registered by the time the connections have settled.
  await sleep(3000);
  const rssSubscribed = rssMb(server.pid!);

  const committed = new Map<string, number>();
  for (let second = 0; second < seconds; second++) {
    const started = performance.now();
    const document = validateArticleDocument(article(second));
    if (!document.ok) throw new Error(JSON.stringify(document.problems));
    await ingestArticle(writer.db, document.document);
    committed.set(`fan-out-${second}`, performance.now());
    await sleep(Math.max(0, 1000 - (performance.now() - started)));
  }
  await sleep(3000);
  const rssAfter = rssMb(server.pid!);

  const latencies: number[] = [];
  let missing = 0;
  for (const [slug, at] of committed) {
    const times = received.get(slug) ?? [];
    missing += subscribers - times.length;
    for (const time of times) latencies.push(time - at);
  }
  latencies.sort((a, b) => a - b);
  const result = {
    subscribers: subscribed,
    changes: committed.size,
    deliveries: latencies.length,
    missing,
    latencyMs: {
      p50: Math.round(percentile(latencies, 50)),
      p99: Math.round(percentile(latencies, 99)),
      max: Math.round(latencies.at(-1) ?? NaN),
    },
    serverRssMb: { beforeSubscribers: rssIdle, withSubscribers: rssSubscribed, afterChanges: rssAfter },
  };
  console.log(JSON.stringify(result, null, 2));

  await Promise.all(clients.map((client) => client.dispose()));
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await writer.close();
  const cleanup = new pg.Client({ connectionString: adminUrl });
  await cleanup.connect();
  await cleanup.query(`drop database if exists ${DATABASE} with (force)`);
  await cleanup.end();
}

await main();
