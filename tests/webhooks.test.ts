import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseWebhookAdmin, runWebhooksCommand, webhookSettingsFor } from '../src/cli/webhooks-command.ts';
import { loadConfig } from '../src/config.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { takeDownArticle } from '../src/ingest/article-lifecycle.ts';
import {
  allowedNetworks,
  createWebhookEndpoint,
  migrateWebhookQueue,
  startWebhookQueue,
  WebhookInputError,
  type WebhookQueue,
} from '../src/modules/webhooks/index.ts';
import { createLogger } from '../src/shared/logger.ts';
import { startBylineProcess } from './helpers/byline-process.ts';
import { describePostgres, pgliteEngine, postgresEngine } from './helpers/engines.ts';
import { ingestDocuments, makePartner } from './helpers/embedding.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { startThrowawayPostgres } from './helpers/throwaway-postgres.ts';
import { useDatabase, useGateway } from './helpers/use-gateway.ts';
import { eventually, sleep } from './helpers/waiting.ts';
import {
  answerOk,
  startWebhookReceiver,
  type ReceivedWebhook,
  type WebhookReceiver,
} from './helpers/webhook-receiver.ts';

const silent = createLogger('silent');

// Settings as an operator writes them: a short retry schedule and timeout, loopback allowed.
const SETTINGS = {
  BYLINE_WEBHOOK_RETRY_SCHEDULE: '0,300ms,600ms',
  BYLINE_WEBHOOK_TIMEOUT_MS: '1500',
  BYLINE_WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1',
};
const config = loadConfig(SETTINGS);

const CREATE = `mutation ($partner: String, $input: WebhookEndpointInput!) {
  createWebhookEndpoint(partner: $partner, input: $input) { secret endpoint { id partner url state eventTypes sections } }
}`;
const ENDPOINTS = `query ($first: Int) { webhookEndpoints { id state stateReason deliveredThrough
  deliveries { pending delivered failed oldestPendingAt }
  attempts(first: $first) { messageId position eventType attempt statusCode latencyMs outcome error } } }`;

/** What a consumer does (docs/changes.md): verify with the standardwebhooks package, or throw. */
function verify(secret: string, request: ReceivedWebhook): unknown {
  return new Webhook(secret).verify(request.body, {
    'webhook-id': request.id,
    'webhook-timestamp': request.timestamp,
    'webhook-signature': request.signature,
  });
}

/** Articles of their own section: each test's endpoint filters on it, so tests do not see each other's events. */
const inSection = (section: string, count: number) =>
  Array.from({ length: count }, () => makeArticle({ section: { slug: section, name: section } }));

describePostgres('webhooks', (engine) => {
  let editorKey: string;
  let readerKey: string;
  let queue: WebhookQueue;
  const receivers: WebhookReceiver[] = [];

  const gateway = useGateway(engine, {
    env: SETTINGS,
    seed: async ({ handle }) => {
      editorKey = (await makePartner(handle.db, { name: 'Newsdesk', scopes: ['editor'] })).key;
      readerKey = (await makePartner(handle.db, { name: 'Reader App' })).key;
    },
  });

  beforeAll(async () => {
    await migrateWebhookQueue(gateway.database.url!, silent);
    queue = await startWebhookQueue({
      db: gateway.db,
      connectionString: gateway.database.url!,
      concurrency: 4,
      timeoutMs: config.webhookTimeoutMs,
      retrySchedule: config.webhookRetrySchedule,
      allowedNetworks: config.webhookAllowedNetworks,
      logger: silent,
      pollMs: 100,
    });
  });
  afterAll(async () => {
    await queue?.stop();
    for (const receiver of receivers) await receiver.close();
  });

  const receiver = async (handler = answerOk) => {
    const started = await startWebhookReceiver(handler);
    receivers.push(started);
    return started;
  };
  const editorHeaders = () => ({ authorization: `Bearer ${editorKey}` });

  /** Registers an endpoint for "Reader App" through the API, filtered on one section. */
  async function register(url: string, section: string, extra: Record<string, unknown> = {}) {
    const { body } = await gateway.graphql(CREATE, {
      variables: { partner: 'Reader App', input: { url, sections: [section], ...extra } },
      headers: editorHeaders(),
    });
    expect(body.errors).toBeUndefined();
    return body.data!.createWebhookEndpoint as { secret: string; endpoint: { id: number; state: string } };
  }

  async function endpointLog(id: number) {
    const { body } = await gateway.graphql(ENDPOINTS, {
      variables: { first: 100 },
      headers: editorHeaders(),
    });
    expect(body.errors).toBeUndefined();
    return (body.data!.webhookEndpoints as { id: number }[]).find(
      (endpoint) => endpoint.id === id,
    ) as unknown as {
      state: string;
      stateReason: string | null;
      deliveries: { pending: number; delivered: number; failed: number };
      attempts: {
        messageId: string;
        attempt: number;
        statusCode: number | null;
        outcome: string;
        error: string | null;
      }[];
    };
  }

  describe('Mutation.createWebhookEndpoint', () => {
    it('returns the endpoint and its whsec_ secret once, to an editor key, for the partner named', async () => {
      const hook = await receiver();
      const created = await register(hook.url, 'wh-create');
      expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      expect(created.endpoint).toMatchObject({
        partner: 'Reader App',
        url: hook.url,
        state: 'ACTIVE',
        sections: ['wh-create'],
      });
    });

    it('refuses a key without the editor scope', async () => {
      const { body } = await gateway.graphql(CREATE, {
        variables: { input: { url: 'http://127.0.0.1:9/hook' } },
        headers: { authorization: `Bearer ${readerKey}` },
      });
      expect(body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    });

    it('answers BAD_USER_INPUT naming input.url or input.eventTypes for a bad URL or an unknown event type', async () => {
      for (const [input, path, message] of [
        [{ url: 'ftp://127.0.0.1/x' }, 'input.url', 'expected an http or https URL'],
        [{ url: 'not a url' }, 'input.url', 'expected an absolute http(s) URL'],
        [
          { url: 'http://127.0.0.1:9/x', eventTypes: ['article.exploded'] },
          'input.eventTypes',
          'expected one of article.created',
        ],
      ] as const) {
        const { body } = await gateway.graphql(CREATE, {
          variables: { partner: 'Reader App', input },
          headers: editorHeaders(),
        });
        expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: path });
        expect(body.errors?.[0]?.message).toContain(message);
      }
    });
  });

  describe('receiver addresses', () => {
    it('refuses loopback, private, link-local and mapped addresses at registration unless allowed', async () => {
      const strict = { available: true as const, allowed: allowedNetworks([]) };
      for (const url of [
        'http://127.0.0.1:8080/hook',
        'http://localhost:8080/hook',
        'http://10.1.2.3/hook',
        'http://192.168.0.10/hook',
        'http://169.254.169.254/latest/meta-data',
        'http://[::1]/hook',
        'http://[::ffff:127.0.0.1]/hook',
        'http://[fe80::1]/hook',
      ]) {
        await expect(createWebhookEndpoint(gateway.db, strict, 1, { url }), url).rejects.toThrow(
          /loopback, private, link-local or reserved address \(allow it in BYLINE_WEBHOOK_ALLOWED_NETWORKS\)/,
        );
      }
      const allowed = { available: true as const, allowed: allowedNetworks(['127.0.0.1']) };
      await expect(
        createWebhookEndpoint(gateway.db, allowed, 1, { url: 'http://10.0.0.1/hook' }),
      ).rejects.toBeInstanceOf(WebhookInputError);
    });
  });

  describe('delivery', () => {
    it('POSTs a thin JSON payload that the standardwebhooks package verifies with the secret', async () => {
      const hook = await receiver();
      const { secret } = await register(hook.url, 'wh-sign');
      const [article] = inSection('wh-sign', 1);
      await ingestDocuments(gateway.db, [article!]);
      const [request] = await eventually(
        async () => (hook.received.length > 0 ? hook.received : undefined),
        100,
        'a delivery',
      );
      expect(verify(secret, request!)).toEqual(request!.payload);
      expect(request!.body.length).toBeLessThan(20 * 1024);
      expect(request!.payload.type).toMatch(/^article\./);
      expect(request!.payload.data).toMatchObject({
        slug: article!.slug,
        id: `evt_${request!.payload.data.position}`,
      });
      expect(request!.body).not.toContain('The first thing said');
      expect(request!.id).toMatch(/^msg_\d+_\d+$/);
      // A signature made with another secret does not verify.
      expect(() => verify(`whsec_${Buffer.alloc(24, 7).toString('base64')}`, request!)).toThrow();
    });

    it('signs with both secrets during a rotation: the old and the new one each verify', async () => {
      const hook = await receiver();
      const { secret: old, endpoint } = await register(hook.url, 'wh-rotate');
      const { body } = await gateway.graphql(
        `mutation ($id: Int!) { rotateWebhookSecret(id: $id) { secret endpoint { previousSecretExpiresAt } } }`,
        { variables: { id: endpoint.id }, headers: editorHeaders() },
      );
      const rotated = body.data!.rotateWebhookSecret as {
        secret: string;
        endpoint: { previousSecretExpiresAt: string };
      };
      expect(rotated.secret).not.toBe(old);
      const hours = (Date.parse(rotated.endpoint.previousSecretExpiresAt) - Date.now()) / 3_600_000;
      expect(hours).toBeGreaterThan(23.9);
      expect(hours).toBeLessThanOrEqual(24);
      await ingestDocuments(gateway.db, inSection('wh-rotate', 1));
      const [request] = await eventually(
        async () => (hook.received.length > 0 ? hook.received : undefined),
        100,
        'a delivery',
      );
      expect(request!.signature.split(' ')).toHaveLength(2);
      expect(verify(old, request!)).toEqual(request!.payload);
      expect(verify(rotated.secret, request!)).toEqual(request!.payload);
    });

    it('retries a 500 on the configured schedule with the same webhook-id, and logs both attempts', async () => {
      const hook = await receiver((request, response, received) => {
        const tries = received.filter((r) => r.id === request.id).length;
        response.writeHead(tries === 1 ? 500 : 200).end(tries === 1 ? 'try again' : 'ok');
      });
      const { secret, endpoint } = await register(hook.url, 'wh-retry');
      await ingestDocuments(gateway.db, inSection('wh-retry', 1));
      await eventually(async () => (hook.received.length >= 2 ? true : undefined), 100, 'a retry');
      const [first, second] = hook.received;
      expect(second!.id).toBe(first!.id);
      expect(verify(secret, second!)).toEqual(first!.payload);
      // The retry waited for the schedule's second step (300 ms), not less.
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(250);
      const log = await eventually(
        async () => {
          const found = await endpointLog(endpoint.id);
          return found.deliveries.delivered === 1 ? found : undefined;
        },
        50,
        'the delivery log',
      );
      expect(log.attempts.map((a) => [a.attempt, a.statusCode, a.outcome])).toEqual([
        [2, 200, 'DELIVERED'],
        [1, 500, 'FAILED'],
      ]);
      expect(log.attempts[1]!.error).toContain('answered 500: try again');
      expect(log.attempts[0]!.messageId).toBe(first!.id);
    });

    it('counts a receiver that hangs past the timeout as failed and retries it', async () => {
      const hook = await receiver((_request, response, received) => {
        if (received.length === 1) return; // never answers
        response.writeHead(204).end();
      });
      const { endpoint } = await register(hook.url, 'wh-hang');
      await ingestDocuments(gateway.db, inSection('wh-hang', 1));
      await eventually(
        async () => (hook.received.length >= 2 ? true : undefined),
        100,
        'a retry after the timeout',
      );
      expect(hook.received[1]!.id).toBe(hook.received[0]!.id);
      expect(hook.received[1]!.at - hook.received[0]!.at).toBeGreaterThanOrEqual(1500);
      const log = await eventually(
        async () => {
          const found = await endpointLog(endpoint.id);
          return found.deliveries.delivered === 1 ? found : undefined;
        },
        50,
        'the delivery log',
      );
      expect(log.attempts[1]).toMatchObject({
        outcome: 'FAILED',
        statusCode: null,
        error: 'no answer within 1500 ms',
      });
    });

    it('disables the endpoint on 410 Gone and sends it nothing more', async () => {
      const hook = await receiver((_request, response) => response.writeHead(410).end());
      const { endpoint } = await register(hook.url, 'wh-gone');
      await ingestDocuments(gateway.db, inSection('wh-gone', 1));
      const log = await eventually(
        async () => {
          const found = await endpointLog(endpoint.id);
          return found.state === 'DISABLED' ? found : undefined;
        },
        100,
        'the endpoint disabled',
      );
      expect(log.stateReason).toContain('410');
      expect(hook.received).toHaveLength(1);
      await ingestDocuments(gateway.db, inSection('wh-gone', 1));
      await sleep(1500);
      expect(hook.received).toHaveLength(1);
    });

    it('never follows a redirect: the attempt fails, the target gets nothing; a failed delivery replays as a new message', async () => {
      const target = await receiver();
      const hook = await receiver((_request, response) =>
        response.writeHead(302, { location: target.url }).end(),
      );
      const { endpoint, secret } = await register(hook.url, 'wh-redirect');
      await ingestDocuments(gateway.db, inSection('wh-redirect', 1));
      const log = await eventually(
        async () => {
          const found = await endpointLog(endpoint.id);
          // The endpoint turns FAILING in the transaction that fails its delivery.
          return found.deliveries.failed === 1 && found.state === 'FAILING' ? found : undefined;
        },
        100,
        'the delivery failed after every attempt',
      );
      expect(hook.received).toHaveLength(3);
      expect(target.received).toHaveLength(0);
      expect(log.state).toBe('FAILING');
      expect(log.attempts[0]!.error).toContain(`redirect to ${target.url} not followed`);

      hook.answer(answerOk);
      const { body } = await gateway.graphql(
        `mutation ($id: Int!) { replayWebhookDeliveries(id: $id, failedOnly: true) { requeued } }`,
        { variables: { id: endpoint.id }, headers: editorHeaders() },
      );
      expect(body.data).toEqual({ replayWebhookDeliveries: { requeued: 1 } });
      const replayed = await eventually(async () => hook.received[3], 100, 'the replay');
      expect(replayed.id).toBe(`${hook.received[0]!.id}_r1`);
      expect(replayed.payload.data).toEqual(hook.received[0]!.payload.data);
      expect(verify(secret, replayed)).toEqual(replayed.payload);
      await eventually(
        async () => ((await endpointLog(endpoint.id)).state === 'ACTIVE' ? true : undefined),
        50,
        'active again',
      );
    });

    it('cuts a 10 MB answer instead of reading it, and counts it by its status', async () => {
      let unfinished = 0;
      const hook = await receiver((_request, response, received) => {
        response.writeHead(received.length === 1 ? 500 : 200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 120);
        let sent = 0;
        const pump = () => {
          while (sent < 10 * 1024 * 1024) {
            sent += chunk.length;
            if (!response.write(chunk)) return void response.once('drain', pump);
          }
          response.end();
        };
        response.on('close', () => {
          if (!response.writableFinished) unfinished += 1;
        });
        pump();
      });
      const { endpoint } = await register(hook.url, 'wh-huge');
      await ingestDocuments(gateway.db, inSection('wh-huge', 1));
      const log = await eventually(
        async () => {
          const found = await endpointLog(endpoint.id);
          return found.deliveries.delivered === 1 ? found : undefined;
        },
        100,
        'delivered on the second attempt',
      );
      expect(log.attempts.map((a) => [a.statusCode, a.outcome])).toEqual([
        [200, 'DELIVERED'],
        [500, 'FAILED'],
      ]);
      await eventually(async () => (unfinished === 2 ? true : undefined), 50, 'both answers cut short');
    });

    it('delivers a 200-change burst complete and in position order', async () => {
      const hook = await receiver();
      await register(hook.url, 'wh-burst');
      const articles = inSection('wh-burst', 200);
      // Four writers at once, as a CMS pushing a batch would: positions follow commit order.
      await Promise.all(
        [0, 1, 2, 3].map((n) =>
          ingestDocuments(
            gateway.db,
            articles.filter((_, i) => i % 4 === n),
          ),
        ),
      );
      await eventually(
        async () => (hook.deduplicated().length >= 200 ? true : undefined),
        600,
        '200 deliveries',
      );
      const unique = hook.deduplicated();
      expect(unique).toHaveLength(200);
      expect(new Set(unique.map((r) => r.payload.data.slug))).toEqual(new Set(articles.map((a) => a.slug)));
      const positions = unique.map((r) => r.payload.data.position);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    }, 420_000);

    it('sends a takedown to the endpoints of partners that saw the article', async () => {
      const hook = await receiver();
      await register(hook.url, 'wh-takedown', { eventTypes: ['article.taken_down'] });
      const [article] = inSection('wh-takedown', 1);
      const ids = await ingestDocuments(gateway.db, [article!]);
      await takeDownArticle(
        gateway.db,
        { id: ids.get(article!.slug)! },
        { reason: 'Court order', by: 'Newsdesk' },
      );
      const [request] = await eventually(
        async () => (hook.received.length > 0 ? hook.received : undefined),
        100,
        'the takedown',
      );
      expect(request!.payload.type).toBe('article.taken_down');
      expect(request!.payload.data.slug).toBe(article!.slug);
      expect(request!.body).not.toContain('Court order');
      await sleep(500);
      expect(hook.received).toHaveLength(1);
    });

    it('replays from a position: every event from it on again, each as a new message', async () => {
      const hook = await receiver();
      const { endpoint } = await register(hook.url, 'wh-replay');
      await ingestDocuments(gateway.db, inSection('wh-replay', 3));
      await eventually(async () => (hook.received.length === 3 ? true : undefined), 100, 'three deliveries');
      const second = hook.received[1]!.payload.data.position;
      const out: string[] = [];
      const code = await runWebhooksCommand(
        databaseWebhookAdmin(gateway.db, webhookSettingsFor('postgres', config)),
        ['replay', String(endpoint.id), '--from', String(second)],
        { log: (line) => out.push(line), error: (line) => out.push(line) },
      );
      expect(code).toBe(0);
      expect(out.join('\n')).toContain(`replaying #${endpoint.id} from position ${second} (2 deliveries`);
      await eventually(
        async () => (hook.received.length === 5 ? true : undefined),
        100,
        'two replayed deliveries',
      );
      expect(hook.received.slice(3).map((r) => r.payload.data.position)).toEqual(
        hook.received.slice(1, 3).map((r) => r.payload.data.position),
      );
      expect(hook.received.slice(3).map((r) => r.id)).toEqual(
        hook.received.slice(1, 3).map((r) => `${r.id}_r1`),
      );
    });

    it('is read by the partner itself: its own endpoints, with their delivery log', async () => {
      const { body } = await gateway.graphql(ENDPOINTS, {
        variables: { first: 5 },
        headers: { authorization: `Bearer ${readerKey}` },
      });
      expect(body.errors).toBeUndefined();
      const endpoints = body.data!.webhookEndpoints as { attempts: unknown[] }[];
      expect(endpoints.length).toBeGreaterThan(5);
      const other = await gateway.graphql(`{ webhookEndpoints(partner: "Newsdesk") { id } }`, {
        headers: { authorization: `Bearer ${readerKey}` },
      });
      expect(other.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    });
  });

  describe('metrics', () => {
    it('exports the queue depth and the oldest undelivered age at /metrics', async () => {
      const text = await (await fetch(`${gateway.origin}/metrics`)).text();
      expect(text).toMatch(/^byline_webhook_queue_depth \d+$/m);
      expect(text).toMatch(/^byline_webhook_oldest_undelivered_seconds [\d.e+-]+$/m);
    });
  });

  describe('two instances', () => {
    it('never send one attempt twice: each webhook-id arrives once when every answer is 200', async () => {
      const second = await startWebhookQueue({
        db: gateway.db,
        connectionString: gateway.database.url!,
        concurrency: 4,
        timeoutMs: config.webhookTimeoutMs,
        retrySchedule: config.webhookRetrySchedule,
        allowedNetworks: config.webhookAllowedNetworks,
        logger: silent,
        pollMs: 100,
      });
      try {
        const hook = await receiver((_request, response) =>
          setTimeout(() => response.writeHead(200).end(), 20),
        );
        await register(hook.url, 'wh-twice');
        await ingestDocuments(gateway.db, inSection('wh-twice', 30));
        await eventually(async () => (hook.received.length >= 30 ? true : undefined), 600, '30 deliveries');
        await sleep(500);
        expect(hook.received).toHaveLength(30);
        expect(new Set(hook.received.map((r) => r.id)).size).toBe(30);
      } finally {
        await second.stop();
      }
    }, 120_000);
  });
});

describe('webhooks on embedded PGlite', () => {
  const gateway = useGateway(pgliteEngine, {
    seed: async ({ handle }) => {
      editor = (await makePartner(handle.db, { name: 'Newsdesk', scopes: ['editor'] })).key;
    },
  });
  let editor: string;

  it('refuses registration, saying webhooks need PostgreSQL and DATABASE_URL', async () => {
    const { body } = await gateway.graphql(CREATE, {
      variables: { input: { url: 'https://receiver.example/hook' } },
      headers: { authorization: `Bearer ${editor}` },
    });
    expect(body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toMatch(/Webhooks need PostgreSQL.*Set DATABASE_URL/);
  });
});

describePostgres('webhooks through faults', (engine) => {
  const fixture = useDatabase(engine);

  it('delivers an event whose attempt a SIGKILL cut short, after a restart, with the same webhook-id', async () => {
    let held = 0;
    const hook = await startWebhookReceiver((_request, response, received) => {
      if (received.length === 1) {
        held += 1; // holds the first request: Byline is killed while it waits
        return;
      }
      response.writeHead(200).end();
    });
    const env = {
      BYLINE_DEMO: 'false',
      BYLINE_WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1',
      BYLINE_WEBHOOK_TIMEOUT_MS: '2000',
      BYLINE_WEBHOOK_RETRY_SCHEDULE: '0,200ms,400ms',
    };
    let serving = await startBylineProcess({ databaseUrl: fixture.database.url!, env });
    try {
      const partner = await makePartner(fixture.db, { name: 'Killed Partner' });
      await createWebhookEndpoint(fixture.db, webhookSettingsFor('postgres', loadConfig(env)), partner.id, {
        url: hook.url,
        sections: ['wh-kill'],
      });
      await ingestDocuments(fixture.db, inSection('wh-kill', 1));
      await eventually(async () => (held === 1 ? true : undefined), 200, 'the first attempt to arrive');
      await serving.kill();
      serving = await startBylineProcess({ databaseUrl: fixture.database.url!, env });
      await eventually(
        async () => (hook.received.length >= 2 ? true : undefined),
        600,
        'the attempt after the restart',
      );
      expect(hook.received[1]!.id).toBe(hook.received[0]!.id);
      const attempts = await fixture.db
        .selectFrom('webhook_attempts')
        .select(['attempt', 'outcome'])
        .orderBy('attempt')
        .execute();
      const metrics = await (await fetch(`${serving.origin}/metrics`)).text();
      expect(metrics).toMatch(/^byline_webhook_deliveries_total\{outcome="delivered"\} 1$/m);
      expect(attempts.slice(0, 2)).toEqual([
        { attempt: 1, outcome: 'interrupted' },
        { attempt: 2, outcome: 'delivered' },
      ]);
    } finally {
      await serving.kill();
      await hook.close();
    }
  }, 120_000);

  it('loses nothing when PostgreSQL restarts while the queue is full', async () => {
    const cluster = await startThrowawayPostgres();
    if ('skipped' in cluster) return;
    const database = await openDatabase({ databaseUrl: cluster.url });
    database.pool?.on('error', () => undefined);
    const hook = await startWebhookReceiver((_request, response) =>
      setTimeout(() => response.writeHead(200).end(), 30),
    );
    let queue: WebhookQueue | undefined;
    try {
      await migrateToLatest(database.db);
      await migrateWebhookQueue(cluster.url, silent);
      const partner = await makePartner(database.db, { name: 'Restart Partner' });
      await createWebhookEndpoint(database.db, webhookSettingsFor('postgres', config), partner.id, {
        url: hook.url,
      });
      const articles = Array.from({ length: 60 }, () => makeArticle());
      await ingestDocuments(database.db, articles);
      queue = await startWebhookQueue({
        db: database.db,
        connectionString: cluster.url,
        concurrency: 2,
        timeoutMs: config.webhookTimeoutMs,
        retrySchedule: [0, 200, 500, 1000, 2000, 4000],
        allowedNetworks: ['127.0.0.1'],
        logger: silent,
        pollMs: 100,
      });
      await eventually(
        async () => (hook.received.length >= 5 ? true : undefined),
        200,
        'deliveries under way',
      );
      expect(hook.deduplicated().length).toBeLessThan(60);
      await cluster.restart('fast');
      await eventually(
        async () => (hook.deduplicated().length >= 60 ? true : undefined),
        900,
        'every delivery after the restart',
      );
      expect(new Set(hook.deduplicated().map((r) => r.payload.data.slug))).toEqual(
        new Set(articles.map((a) => a.slug)),
      );
    } finally {
      await queue?.stop().catch(() => undefined);
      await hook.close();
      await database.close();
      await cluster.destroy();
    }
  }, 180_000);
});

void postgresEngine;
