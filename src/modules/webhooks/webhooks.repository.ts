import { sql, type Kysely, type Transaction } from 'kysely';
import type {
  Database,
  WebhookAttemptRow,
  WebhookDeliveryRow,
  WebhookEndpointRow,
  WebhookEndpointState,
} from '../../db/database.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** How long the previous secret still signs after a rotation. */
export const PREVIOUS_SECRET_HOURS = 24;

export interface NewEndpoint {
  readonly partnerId: number;
  readonly url: string;
  readonly description: string | null;
  readonly eventTypes: readonly string[];
  readonly sections: readonly string[];
  readonly tags: readonly string[];
  readonly secret: string;
  /** The change-log position the endpoint starts after: it receives what happens from now on. */
  readonly startAfter: number;
}

export function insertEndpoint(db: Db, endpoint: NewEndpoint): Promise<WebhookEndpointRow> {
  return db
    .insertInto('webhook_endpoints')
    .values({
      partner_id: endpoint.partnerId,
      url: endpoint.url,
      description: endpoint.description,
      event_types: [...endpoint.eventTypes],
      sections: [...endpoint.sections],
      tags: [...endpoint.tags],
      secret: endpoint.secret,
      delivered_through: endpoint.startAfter,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findEndpointById(db: Db, id: number): Promise<WebhookEndpointRow | undefined> {
  return db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A partner's endpoints, or every endpoint (partnerId null), by id. */
export function listEndpoints(db: Db, partnerId: number | null): Promise<WebhookEndpointRow[]> {
  let query = db.selectFrom('webhook_endpoints').selectAll().orderBy('id');
  if (partnerId !== null) query = query.where('partner_id', '=', partnerId);
  return query.execute();
}

export function setEndpointState(
  db: Db,
  id: number,
  state: WebhookEndpointState,
  reason: string | null,
): Promise<WebhookEndpointRow | undefined> {
  return db
    .updateTable('webhook_endpoints')
    .set({ state, state_reason: reason, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export function updateEndpointFields(
  db: Db,
  id: number,
  fields: {
    url?: string;
    description?: string | null;
    event_types?: string[];
    sections?: string[];
    tags?: string[];
  },
): Promise<WebhookEndpointRow | undefined> {
  return db
    .updateTable('webhook_endpoints')
    .set({ ...fields, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** The new secret signs from now on; the old one signs beside it for PREVIOUS_SECRET_HOURS. */
export function replaceEndpointSecret(
  db: Db,
  id: number,
  secret: string,
): Promise<WebhookEndpointRow | undefined> {
  return db
    .updateTable('webhook_endpoints')
    .set({
      previous_secret: sql`secret`,
      previous_secret_expires_at: sql`now() + make_interval(hours => ${PREVIOUS_SECRET_HOURS})`,
      secret,
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteEndpoint(db: Db, id: number): Promise<boolean> {
  const result = await db.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** One attempt of the delivery log, with what it was for. */
export interface AttemptLogRow extends WebhookAttemptRow {
  readonly endpoint_id: number;
  readonly position: string;
  readonly event_type: string;
  readonly delivery_status: WebhookDeliveryRow['status'];
}

/** The latest attempts of an endpoint's deliveries, newest first. */
export function listAttempts(db: Db, endpointId: number, limit: number): Promise<AttemptLogRow[]> {
  return db
    .selectFrom('webhook_attempts as a')
    .innerJoin('webhook_deliveries as d', 'd.id', 'a.delivery_id')
    .selectAll('a')
    .select(['d.endpoint_id', 'd.position', 'd.event_type', 'd.status as delivery_status'])
    .where('d.endpoint_id', '=', endpointId)
    .orderBy('a.id', 'desc')
    .limit(limit)
    .execute() as Promise<AttemptLogRow[]>;
}

/** Counts of an endpoint's deliveries by status, and the oldest pending one's creation. */
export async function summarizeDeliveries(
  db: Db,
  endpointId: number,
): Promise<{ pending: number; delivered: number; failed: number; oldestPendingAt: Date | null }> {
  const { rows } = await sql<{ pending: number; delivered: number; failed: number; oldest: Date | null }>`
    select count(*) filter (where status = 'pending')::int as pending,
      count(*) filter (where status = 'delivered')::int as delivered,
      count(*) filter (where status = 'failed')::int as failed,
      min(created_at) filter (where status = 'pending') as oldest
    from webhook_deliveries where endpoint_id = ${endpointId}`.execute(db);
  const row = rows[0]!;
  return { pending: row.pending, delivered: row.delivered, failed: row.failed, oldestPendingAt: row.oldest };
}

/** For metrics: undelivered deliveries and the age of the oldest, in seconds, over every endpoint. */
export async function measureWebhookQueue(db: Db): Promise<{ depth: number; oldestAgeSeconds: number }> {
  const { rows } = await sql<{ depth: number; age: number | null }>`
    select count(*)::int as depth, extract(epoch from now() - min(created_at))::float8 as age
    from webhook_deliveries where status = 'pending'`.execute(db);
  return { depth: rows[0]?.depth ?? 0, oldestAgeSeconds: rows[0]?.age ?? 0 };
}

/** Endpoints with their partner's name (one partner's, or every one with partnerId null), by id. */
export function listEndpointParents(
  db: Db,
  partnerId: number | null,
  id?: number,
): Promise<(WebhookEndpointRow & { partner_name: string })[]> {
  let query = db
    .selectFrom('webhook_endpoints as e')
    .innerJoin('partners as p', 'p.id', 'e.partner_id')
    .selectAll('e')
    .select('p.name as partner_name')
    .orderBy('e.id');
  if (partnerId !== null) query = query.where('e.partner_id', '=', partnerId);
  if (id !== undefined) query = query.where('e.id', '=', id);
  return query.execute();
}
