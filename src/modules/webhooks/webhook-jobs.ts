import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/database.ts';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Queues attempt `attempt` of these deliveries (graphile-worker, in the caller's transaction), in
 * the order given. One queue per endpoint: its deliveries run one at a time, oldest position first;
 * the job key keeps one job per delivery (https://worker.graphile.org/docs/job-key).
 */
export async function queueDeliveries(
  db: Db,
  endpointId: number,
  rows: readonly { readonly id: string; readonly generation: number }[],
  attempt: number,
  delayMs: number,
): Promise<void> {
  if (rows.length === 0) return;
  await sql`select graphile_worker.add_job(
      'webhook_deliver',
      json_build_object('deliveryId', r.id::text, 'generation', r.generation, 'attempt', ${attempt}::int),
      queue_name => ${`webhook:${endpointId}`}::text,
      -- graphile-worker takes jobs by (priority, run_at): a microsecond apart keeps them in this order.
      run_at => now() + make_interval(secs => ${delayMs / 1000}::float8) + r.n * interval '1 microsecond',
      job_key => 'webhook_delivery:' || r.id,
      job_key_mode => 'replace')
    from unnest(${rows.map((row) => row.id)}::bigint[], ${rows.map((row) => row.generation)}::int[])
      with ordinality as r(id, generation, n)
    order by r.n`.execute(db);
}

/**
 * Queues a dispatch (reading the change log after the cursor) for one endpoint, or for every live
 * endpoint whose cursor is behind the log. One dispatch queue per endpoint: never two at once.
 */
export async function wakeEndpoints(db: Db, endpointId?: number): Promise<void> {
  await sql`select graphile_worker.add_job(
      'webhook_dispatch',
      json_build_object('endpointId', e.id),
      queue_name => 'webhook_dispatch:' || e.id,
      job_key => 'webhook_dispatch:' || e.id,
      job_key_mode => 'replace')
    from webhook_endpoints e
    join partners p on p.id = e.partner_id and p.revoked_at is null
    where e.state <> 'disabled'
      and ${
        endpointId === undefined
          ? sql`e.delivered_through < (select last_position from article_change_log)`
          : sql`e.id = ${endpointId}`
      }`.execute(db);
}

/** The Standard Webhooks message id: the same for every retry of one delivery, new for a replay. */
export function webhookMessageId(endpointId: number, position: number | string, generation: number): string {
  return `msg_${endpointId}_${position}${generation > 0 ? `_r${generation}` : ''}`;
}
