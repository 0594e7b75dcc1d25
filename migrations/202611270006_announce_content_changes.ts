import { sql, type Kysely } from 'kysely';

// Frozen: never import from src/. Ingest now announces on `byline_content_changed` exactly what it
// touched (a JSON array of cache tags) and sets `byline.content_announced` in its transaction, so the
// statement triggers stay quiet for it. Any other writer of a content table (a bulk load, SQL by hand)
// still announces "everything" — its transaction id — now from every content table, not only articles.

const TABLES = [
  'articles',
  'sections',
  'tags',
  'people',
  'organizations',
  'images',
  'article_tags',
  'article_authors',
  'article_mentions',
  'article_organizations',
  'quotes',
  'related_links',
  'article_search',
];

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create or replace function byline_notify_content_changed() returns trigger language plpgsql as $$
    begin
      if coalesce(current_setting('byline.content_announced', true), '') <> 'on' then
        perform pg_notify('byline_content_changed', txid_current()::text);
      end if;
      return null;
    end
  $$`.execute(db);
  for (const table of TABLES.filter((name) => name !== 'articles')) {
    await sql`create trigger ${sql.raw(`${table}_notify_content_changed`)}
      after insert or update or delete or truncate on ${sql.table(table)}
      for each statement execute function byline_notify_content_changed()`.execute(db);
  }
  await sql`create trigger articles_notify_content_truncated
    after truncate on articles
    for each statement execute function byline_notify_content_changed()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger articles_notify_content_truncated on articles`.execute(db);
  for (const table of TABLES.filter((name) => name !== 'articles')) {
    await sql`drop trigger ${sql.raw(`${table}_notify_content_changed`)} on ${sql.table(table)}`.execute(db);
  }
  await sql`create or replace function byline_notify_content_changed() returns trigger language plpgsql as $$
    begin
      perform pg_notify('byline_content_changed', txid_current()::text);
      return null;
    end
  $$`.execute(db);
}
