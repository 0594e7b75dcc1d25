import { Logger as WorkerLogger, run, runMigrations, type Runner, type Task } from 'graphile-worker';
import { sql, type Kysely, type Transaction } from 'kysely';
import pg from 'pg';
import { CHANGES_CHANNEL } from '../changes/index.ts';
import type { Database, WebhookEndpointRow } from '../../db/database.ts';
import type { Logger } from '../../shared/logger.ts';
import { findPartnerById, viewerForPartner } from '../partners/index.ts';
import { allowedNetworks } from './address-guard.ts';
import { readEndpointChanges } from './change-source.ts';
import { sendWebhook, type SendResult } from './send-webhook.ts';
import { queueDeliveries, wakeEndpoints, webhookMessageId } from './webhook-jobs.ts';
import { signatureHeader } from './webhook-secret.ts';

/** What an attempt came to, for metrics: sent and accepted, to be retried, given up, or the endpoint disabled (410). */
export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed' | 'disabled';

export interface WebhookQueueOptions {
  readonly db: Kysely<Database>;
  /** A direct PostgreSQL connection (LISTEN, session locks): never through a transaction pooler. */
  readonly connectionString: string;
  /** Jobs this process runs at once. */
  readonly concurrency: number;
  readonly timeoutMs: number;
  /** Delay before each attempt, in ms; its length is the number of attempts. */
  readonly retrySchedule: readonly number[];
  readonly allowedNetworks: readonly string[];
  readonly logger: Logger;
  /** How often endpoints behind the change log are looked for (default 1000 ms). */
  readonly pollMs?: number;
  readonly onOutcome?: (outcome: DeliveryOutcome, latencyMs: number | null) => void;
}

export interface WebhookQueue {
  /** Looks for endpoints behind the change log now rather than at the next poll. */
  wake(): void;
  stop(): Promise<void>;
}

/** Events one dispatch reads; more wait for the next one, queued at once. */
const DISPATCH_BATCH = 100;

function workerLogger(logger: Logger): WorkerLogger {
  return new WorkerLogger(() => (level, message, meta) => {
    const fields = { queue: 'graphile-worker', ...meta };
    if (level === 'error') logger.error(fields, message);
    else if (level === 'warning') logger.warn(fields, message);
    else logger.debug(fields, message);
  });
}

/** Installs or upgrades graphile-worker's own schema (`graphile_worker`), as `byline migrate` and `serve` do. */
export async function migrateWebhookQueue(connectionString: string, logger: Logger): Promise<void> {
  await runMigrations({ connectionString, logger: workerLogger(logger) });
}

/**
 * Follows the change log for one endpoint: the events after its cursor that its partner may see and
 * its filter wants become deliveries, queued in position order, in the transaction that moves the
 * cursor; so an event is queued once, or again after a crash before the commit, never lost.
 */
async function dispatch(db: Kysely<Database>, endpointId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const { rows } =
      await sql<WebhookEndpointRow>`select * from webhook_endpoints where id = ${endpointId} for update`.execute(
        trx,
      );
    const endpoint = rows[0];
    if (!endpoint || endpoint.state === 'disabled') return;
    const partner = await findPartnerById(trx, endpoint.partner_id);
    if (!partner || partner.revoked_at !== null) return;
    const page = await readEndpointChanges(trx, endpoint, viewerForPartner(partner), DISPATCH_BATCH);
    if (page.events.length > 0) {
      const inserted = await trx
        .insertInto('webhook_deliveries')
        .values(
          page.events.map((event) => ({
            endpoint_id: endpoint.id,
            position: event.position,
            event_type: event.type,
            payload: event.payload,
          })),
        )
        // The same position again: a replay from a position before the cursor, a new message.
        .onConflict((oc) =>
          oc.columns(['endpoint_id', 'position']).doUpdateSet({
            generation: sql`webhook_deliveries.generation + 1`,
            status: 'pending',
            attempts: 0,
            next_attempt_at: null,
            finished_at: null,
            payload: sql`excluded.payload`,
          }),
        )
        .returning(['id', 'generation', 'position'])
        .execute();
      inserted.sort((a, b) => Number(a.position) - Number(b.position));
      await queueDeliveries(trx, endpoint.id, inserted, 1, 0);
    }
    await trx
      .updateTable('webhook_endpoints')
      .set({ delivered_through: page.endPosition })
      .where('id', '=', endpoint.id)
      .execute();
    if (page.hasNextPage) await wakeEndpoints(trx, endpoint.id);
  });
}

interface DeliverPayload {
  readonly deliveryId: string;
  readonly generation: number;
  readonly attempt: number;
}

interface Prepared {
  readonly endpointId: number;
  readonly url: string;
  readonly secrets: string[];
  readonly messageId: string;
  readonly body: string;
}

export function startWebhookQueue(options: WebhookQueueOptions): Promise<WebhookQueue> {
  const { db } = options;
  const allowed = allowedNetworks(options.allowedNetworks);
  const schedule = options.retrySchedule.length > 0 ? options.retrySchedule : [0];
  const report = options.onOutcome ?? (() => undefined);

  /** After a failed attempt: the next one on the schedule, or the delivery failed and its endpoint failing. */
  async function afterFailure(
    trx: Transaction<Database>,
    delivery: { id: string; generation: number; endpoint_id: number },
    attempt: number,
    result: { status: number | null; error: string },
  ): Promise<DeliveryOutcome> {
    if (attempt < schedule.length) {
      const delayMs = schedule[attempt]!;
      await trx
        .updateTable('webhook_deliveries')
        .set({
          next_attempt_at: sql`now() + make_interval(secs => ${delayMs / 1000}::float8)`,
          last_status_code: result.status,
          last_error: result.error,
        })
        .where('id', '=', delivery.id)
        .execute();
      await queueDeliveries(trx, delivery.endpoint_id, [delivery], attempt + 1, delayMs);
      return 'retrying';
    }
    await trx
      .updateTable('webhook_deliveries')
      .set({
        status: 'failed',
        next_attempt_at: null,
        finished_at: sql`now()`,
        last_status_code: result.status,
        last_error: result.error,
      })
      .where('id', '=', delivery.id)
      .execute();
    await trx
      .updateTable('webhook_endpoints')
      .set({
        state: 'failing',
        state_reason: `a delivery failed ${attempt} attempts; last: ${result.error}`,
        updated_at: sql`now()`,
      })
      .where('id', '=', delivery.endpoint_id)
      .where('state', '=', 'active')
      .execute();
    return 'failed';
  }

  /** Records the attempt as started (or settles one a crash cut short); returns what to send, if anything. */
  const prepare = (job: DeliverPayload) =>
    db.transaction().execute(async (trx): Promise<Prepared | undefined> => {
      const { rows } = await sql<{
        id: string;
        endpoint_id: number;
        position: string;
        generation: number;
        status: string;
        attempts: number;
        payload: string;
        url: string;
        secret: string;
        previous_secret: string | null;
        previous_valid: boolean;
        state: string;
      }>`select d.id, d.endpoint_id, d.position, d.generation, d.status, d.attempts, d.payload,
          e.url, e.secret, e.previous_secret, coalesce(e.previous_secret_expires_at > now(), false) as previous_valid, e.state
        from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
        where d.id = ${job.deliveryId} for update of d`.execute(trx);
      const delivery = rows[0];
      if (!delivery || delivery.generation !== job.generation || delivery.status !== 'pending')
        return undefined;
      if (delivery.attempts >= job.attempt) {
        // This attempt was started before and never recorded as finished: the process stopped during
        // it. It counts as a failed attempt; the next one goes out on the schedule (same webhook-id).
        const cut = await trx
          .updateTable('webhook_attempts')
          .set({
            finished_at: sql`now()`,
            outcome: 'interrupted',
            error: 'Byline stopped during this attempt',
          })
          .where('delivery_id', '=', delivery.id)
          .where('generation', '=', delivery.generation)
          .where('attempt', '=', job.attempt)
          .where('finished_at', 'is', null)
          .executeTakeFirst();
        if (cut.numUpdatedRows > 0n) {
          report(
            await afterFailure(trx, delivery, job.attempt, { status: null, error: 'interrupted' }),
            null,
          );
        }
        return undefined;
      }
      if (delivery.state === 'disabled') {
        await trx
          .updateTable('webhook_deliveries')
          .set({ status: 'failed', finished_at: sql`now()`, last_error: 'endpoint disabled' })
          .where('id', '=', delivery.id)
          .execute();
        return undefined;
      }
      await trx
        .insertInto('webhook_attempts')
        .values({ delivery_id: delivery.id, generation: delivery.generation, attempt: job.attempt })
        .execute();
      await trx
        .updateTable('webhook_deliveries')
        .set({ attempts: job.attempt })
        .where('id', '=', delivery.id)
        .execute();
      return {
        endpointId: delivery.endpoint_id,
        url: delivery.url,
        secrets:
          delivery.previous_valid && delivery.previous_secret
            ? [delivery.secret, delivery.previous_secret]
            : [delivery.secret],
        messageId: webhookMessageId(delivery.endpoint_id, delivery.position, delivery.generation),
        body: delivery.payload,
      };
    });

  const record = (job: DeliverPayload, prepared: Prepared, result: SendResult) =>
    db.transaction().execute(async (trx): Promise<DeliveryOutcome> => {
      const ok = result.status !== null && result.status >= 200 && result.status < 300;
      await trx
        .updateTable('webhook_attempts')
        .set({
          finished_at: sql`now()`,
          status_code: result.status,
          latency_ms: result.latencyMs,
          outcome: ok
            ? 'delivered'
            : result.status === null && /address|resolve/.test(result.error ?? '')
              ? 'refused'
              : 'failed',
          error: result.error ?? null,
        })
        .where('delivery_id', '=', job.deliveryId)
        .where('generation', '=', job.generation)
        .where('attempt', '=', job.attempt)
        .execute();
      const delivery = { id: job.deliveryId, generation: job.generation, endpoint_id: prepared.endpointId };
      if (ok) {
        await trx
          .updateTable('webhook_deliveries')
          .set({
            status: 'delivered',
            finished_at: sql`now()`,
            next_attempt_at: null,
            last_status_code: result.status,
            last_error: null,
          })
          .where('id', '=', job.deliveryId)
          .execute();
        await trx
          .updateTable('webhook_endpoints')
          .set({ state: 'active', state_reason: null, updated_at: sql`now()` })
          .where('id', '=', prepared.endpointId)
          .where('state', '=', 'failing')
          .execute();
        return 'delivered';
      }
      if (result.status === 410) {
        // 410 Gone: the receiver says the endpoint no longer exists (Standard Webhooks): no more sends.
        await trx
          .updateTable('webhook_deliveries')
          .set({
            status: 'failed',
            finished_at: sql`now()`,
            next_attempt_at: null,
            last_status_code: 410,
            last_error: result.error ?? 'answered 410',
          })
          .where('id', '=', job.deliveryId)
          .execute();
        await trx
          .updateTable('webhook_endpoints')
          .set({ state: 'disabled', state_reason: 'the receiver answered 410 Gone', updated_at: sql`now()` })
          .where('id', '=', prepared.endpointId)
          .execute();
        return 'disabled';
      }
      return afterFailure(trx, delivery, job.attempt, {
        status: result.status,
        error: result.error ?? 'failed',
      });
    });

  const deliver: Task = async (raw) => {
    const job = raw as DeliverPayload;
    const prepared = await prepare(job);
    if (!prepared) return;
    const timestamp = new Date();
    const result = await sendWebhook({
      url: prepared.url,
      body: prepared.body,
      timeoutMs: options.timeoutMs,
      allowed,
      headers: {
        'webhook-id': prepared.messageId,
        'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
        'webhook-signature': signatureHeader(prepared.secrets, prepared.messageId, timestamp, prepared.body),
      },
    });
    report(await record(job, prepared, result), result.latencyMs);
  };

  const dispatchTask: Task = async (raw) => {
    await dispatch(db, (raw as { endpointId: number }).endpointId);
  };

  return startRunner(options, { webhook_deliver: deliver, webhook_dispatch: dispatchTask });
}

async function startRunner(
  options: WebhookQueueOptions,
  taskList: Record<string, Task>,
): Promise<WebhookQueue> {
  const { db, logger } = options;
  const ownWorkers: string[] = [];
  const runner: Runner = await run({
    connectionString: options.connectionString,
    concurrency: options.concurrency,
    maxPoolSize: options.concurrency + 2,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: workerLogger(logger),
    taskList,
  });
  runner.events.on('worker:create', ({ worker }) => ownWorkers.push(worker.workerId));
  // graphile-worker releases a finished job without waiting, so its worker looks for the next job of
  // the endpoint's queue while the queue is still locked and then sleeps a poll interval: a nudge on
  // its own channel, once the release has had time to commit, takes the next delivery at once.
  let finished = 0;
  let nudging: NodeJS.Timeout | undefined;
  const nudge = (count: number) =>
    sql`select pg_notify('jobs:insert', ${JSON.stringify({ count })})`.execute(db).catch(() => undefined);
  runner.events.on('job:complete', () => {
    finished += 1;
    nudging ??= setTimeout(() => {
      const count = finished;
      finished = 0;
      nudging = undefined;
      void nudge(count);
      setTimeout(() => void nudge(count), 100).unref();
    }, 15);
  });

  // A process killed mid-job leaves its jobs locked (graphile-worker frees them after 4 hours); any
  // attempt ends within the timeout, so a lock older than twice that belongs to a dead worker.
  const staleMs = 2 * options.timeoutMs + 10_000;
  let polling = false;
  let lastSweep = 0;
  const poll = async () => {
    if (polling) return;
    polling = true;
    try {
      await wakeEndpoints(db);
      if (Date.now() - lastSweep > Math.min(staleMs / 2, 10_000)) {
        lastSweep = Date.now();
        await sql`select graphile_worker.force_unlock_workers(array(
            select distinct locked_by from graphile_worker.jobs
            where locked_at < now() - make_interval(secs => ${staleMs / 1000}::float8)
              and locked_by <> all(${ownWorkers}::text[])))`.execute(db);
      }
    } catch (error) {
      logger.warn(
        { err: error },
        'webhook queue: looking for endpoints behind the change log failed; trying again',
      );
    } finally {
      polling = false;
    }
  };
  const timer = setInterval(() => void poll(), options.pollMs ?? 1000);
  void poll();
  const listener = listenForChanges(options.connectionString, () => void poll());
  return {
    wake: () => void poll(),
    stop: async () => {
      clearInterval(timer);
      clearTimeout(nudging);
      await listener.close();
      await runner.stop();
    },
  };
}

/**
 * Wakes the dispatchers as soon as a change commits (the change log's NOTIFY), rather than at the
 * next poll; the poll stays, so a lost connection costs latency, never an event.
 */
function listenForChanges(connectionString: string, onChange: () => void): { close(): Promise<void> } {
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = () => {
    const next = new pg.Client({ connectionString });
    client = next;
    const again = () => {
      if (closed || client !== next) return;
      client = undefined;
      void next.end().catch(() => undefined);
      retry = setTimeout(connect, 1000);
    };
    next.on('error', again);
    next.on('end', again);
    next.on('notification', onChange);
    next
      .connect()
      .then(
        () => next.query(`listen ${CHANGES_CHANNEL}`),
        () => again(),
      )
      .catch(() => again());
  };
  connect();
  return {
    close: async () => {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
