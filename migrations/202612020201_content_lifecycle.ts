import { sql, type Kysely } from 'kysely';

// Frozen: never import from src/. The content lifecycle: a source system's own id as an article's
// identity, a revision counted per real change, corrections, takedowns kept as tombstones, a counter
// that revokes every preview link of an article at once, and old slugs kept as redirects.

const up_statements = [
  `alter table articles
     add column source_id text unique,
     add column revision integer not null default 1 check (revision > 0),
     add column corrections jsonb not null default '[]',
     add column taken_down_at timestamptz,
     add column takedown_reason text,
     add column taken_down_by text,
     add column preview_epoch integer not null default 0,
     add constraint takedown_has_reason check (taken_down_at is null or (takedown_reason is not null and taken_down_by is not null))`,
  `create table article_slug_redirects (
     slug text primary key,
     article_id integer not null references articles (id) on delete cascade,
     created_at timestamptz not null default now()
   )`,
  `create index article_slug_redirects_article_idx on article_slug_redirects (article_id)`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of up_statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table article_slug_redirects`.execute(db);
  await sql`alter table articles
    drop constraint takedown_has_reason,
    drop column source_id,
    drop column revision,
    drop column corrections,
    drop column taken_down_at,
    drop column takedown_reason,
    drop column taken_down_by,
    drop column preview_epoch`.execute(db);
}
