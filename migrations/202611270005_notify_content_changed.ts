import { sql, type Kysely } from 'kysely';

// Frozen: never import from src/. Ingest writes the article row whenever anything of the article
// changed; a statement trigger there tells listening gateways (their response caches) on commit.
// The payload, the transaction id, is the same for every listener: shared caches key on it.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create function byline_notify_content_changed() returns trigger language plpgsql as $$
    begin
      perform pg_notify('byline_content_changed', txid_current()::text);
      return null;
    end
  $$`.execute(db);
  await sql`create trigger articles_notify_content_changed
    after insert or update or delete on articles
    for each statement execute function byline_notify_content_changed()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger articles_notify_content_changed on articles`.execute(db);
  await sql`drop function byline_notify_content_changed()`.execute(db);
}
