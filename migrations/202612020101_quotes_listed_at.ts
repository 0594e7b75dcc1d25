import { sql, type Kysely } from 'kysely';

// Frozen: never import from src/. A person's quotes, newest first, come straight from an index: each
// quote carries its article's listing key, kept equal to it by triggers, as the link tables do
// (migration 202611270002). Without it the most quoted person's page sorts all their quotes.

const up_statements = [
  `alter table quotes add column listed_at timestamptz`,
  `update quotes q set listed_at = a.listed_at from articles a where a.id = q.article_id`,
  `create trigger quotes_listed_at before insert or update of article_id on quotes
     for each row execute function byline_link_listed_at()`,
  `create or replace function byline_article_listed_at_changed() returns trigger language plpgsql as $$
     begin
       update article_tags set listed_at = new.listed_at where article_id = new.id;
       update article_authors set listed_at = new.listed_at where article_id = new.id;
       update article_mentions set listed_at = new.listed_at where article_id = new.id;
       update quotes set listed_at = new.listed_at where article_id = new.id;
       return null;
     end $$`,
  `create index quotes_speaker_person_listed_at_idx
     on quotes (speaker_person_id, listed_at desc, article_id desc, ordinal)`,
  `create index quotes_speaker_organization_listed_at_idx
     on quotes (speaker_organization_id, listed_at desc, article_id desc, ordinal)`,
];

const down_statements = [
  `drop index quotes_speaker_organization_listed_at_idx`,
  `drop index quotes_speaker_person_listed_at_idx`,
  `create or replace function byline_article_listed_at_changed() returns trigger language plpgsql as $$
     begin
       update article_tags set listed_at = new.listed_at where article_id = new.id;
       update article_authors set listed_at = new.listed_at where article_id = new.id;
       update article_mentions set listed_at = new.listed_at where article_id = new.id;
       return null;
     end $$`,
  `drop trigger quotes_listed_at on quotes`,
  `alter table quotes drop column listed_at`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of up_statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of down_statements) await sql.raw(statement).execute(db);
}
