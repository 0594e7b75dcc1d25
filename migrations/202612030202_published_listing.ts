import { sql, type Kysely } from 'kysely';

// Frozen: never import from src/. Drafts carry the newest listing keys (their creation time), so a
// reader's walk of `articles_listed_at_idx` newest first (search candidates, quote search, the home
// page) stepped over every draft before the first article it may see. The same order over the
// articles that can be public only; an embargo (a future `published_at`) stays a filter, as few are.

const up_statements = [
  `create index articles_published_listed_at_idx on articles (listed_at desc, id desc)
     where status = 'published' and taken_down_at is null`,
];

const down_statements = [`drop index articles_published_listed_at_idx`];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of up_statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of down_statements) await sql.raw(statement).execute(db);
}
