import { sql, type Kysely } from 'kysely';

// Frozen: this file describes the webhook tables as they were on 2026-12-02. Never import from src/.
// The queue itself (graphile-worker) keeps its own schema, migrated by the library at start.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table webhook_endpoints (
    id integer generated always as identity primary key,
    partner_id integer not null references partners (id) on delete cascade,
    url text not null,
    description text,
    -- Empty: every event type; likewise every section, every tag.
    event_types text[] not null default '{}',
    sections text[] not null default '{}',
    tags text[] not null default '{}',
    -- Standard Webhooks secrets (whsec_<base64>): the HMAC key must be known to sign, so kept in clear.
    secret text not null,
    previous_secret text,
    previous_secret_expires_at timestamptz,
    -- The change-log position up to which deliveries have been enqueued: the endpoint's cursor.
    delivered_through bigint not null default 0,
    state text not null default 'active' check (state in ('active', 'failing', 'disabled')),
    state_reason text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`.execute(db);
  await sql`create index webhook_endpoints_partner on webhook_endpoints (partner_id)`.execute(db);

  await sql`create table webhook_deliveries (
    id bigint generated always as identity primary key,
    endpoint_id integer not null references webhook_endpoints (id) on delete cascade,
    position bigint not null,
    -- Bumped by a replay: a replayed delivery is a new message (a new webhook-id).
    generation integer not null default 0,
    event_type text not null,
    payload text not null,
    status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
    attempts integer not null default 0,
    next_attempt_at timestamptz,
    last_status_code integer,
    last_error text,
    created_at timestamptz not null default now(),
    finished_at timestamptz,
    unique (endpoint_id, position)
  )`.execute(db);
  await sql`create index webhook_deliveries_pending on webhook_deliveries (created_at) where status = 'pending'`.execute(
    db,
  );
  await sql`create index webhook_deliveries_failed on webhook_deliveries (endpoint_id, position) where status = 'failed'`.execute(
    db,
  );

  await sql`create table webhook_attempts (
    id bigint generated always as identity primary key,
    delivery_id bigint not null references webhook_deliveries (id) on delete cascade,
    generation integer not null,
    attempt integer not null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    status_code integer,
    latency_ms integer,
    outcome text check (outcome in ('delivered', 'failed', 'interrupted', 'refused')),
    error text,
    unique (delivery_id, generation, attempt)
  )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table webhook_attempts`.execute(db);
  await sql`drop table webhook_deliveries`.execute(db);
  await sql`drop table webhook_endpoints`.execute(db);
}
