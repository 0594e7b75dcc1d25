import { sql, type Kysely } from 'kysely';

// Frozen: this file describes the partners table as it was on 2026-11-27. Never import from src/.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table partners (
    id integer generated always as identity primary key,
    name text not null unique,
    -- Short, non-secret part of the key, shown in listings and used to find the row.
    key_prefix text not null unique,
    -- SHA-256 (hex) of the whole key; the key itself is never stored.
    key_hash text not null,
    origins text[] not null default '{}',
    scopes text[] not null default '{}',
    rate_limit_per_minute integer check (rate_limit_per_minute > 0),
    cost_budget integer check (cost_budget > 0),
    created_at timestamptz not null default now(),
    key_created_at timestamptz not null default now(),
    revoked_at timestamptz
  )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table partners`.execute(db);
}
