import { sql, type Kysely } from 'kysely';

// Frozen: never import from src/. The durable change log: one row per content change, appended in
// the change's own transaction. Positions come from the one row of `article_change_log`, whose row
// lock a writer holds from its append to its commit: positions are handed out in commit order, so a
// reader's snapshot always holds a prefix of the log and a cursor never skips a later-committed event.
// Each event keeps the article's section and tags as of the event (a filtered follower still gets the
// takedown of an article it received) and its state before and after, which decides who may see it.

const STATES = `('absent', 'draft', 'embargoed', 'published', 'taken_down')`;

const up_statements = [
  `create table article_change_log (
     id boolean primary key default true check (id),
     last_position bigint not null default 0,
     lifts_checked_until timestamptz not null default now(),
     pruned_through bigint not null default 0
   )`,
  `insert into article_change_log (id) values (true)`,
  `create table article_changes (
     position bigint primary key,
     type text not null check (type in ('created', 'updated', 'published', 'unpublished', 'corrected', 'slug_changed', 'taken_down', 'deleted')),
     occurred_at timestamptz not null,
     article_id integer not null,
     slug text not null,
     previous_slug text,
     revision integer not null,
     section_ids integer[] not null,
     tag_ids integer[] not null,
     published_at timestamptz,
     state_before text not null check (state_before in ${STATES}),
     state_after text not null check (state_after in ${STATES})
   )`,
  `create index article_changes_article_idx on article_changes (article_id, position desc)`,
  `create index article_changes_occurred_at_idx on article_changes (occurred_at)`,
  // An embargo lifts once: at most one publish event per revision of an article.
  `create unique index article_changes_one_publish_idx on article_changes (article_id, revision) where type = 'published'`,
  `create index articles_updated_at_idx on articles (updated_at desc, id desc)`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of up_statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index articles_updated_at_idx`.execute(db);
  await sql`drop table article_changes`.execute(db);
  await sql`drop table article_change_log`.execute(db);
}
