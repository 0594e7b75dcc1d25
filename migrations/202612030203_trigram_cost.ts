import { sql, type Kysely } from 'kysely';

// Frozen: never import from src/. pg_trgm's `%` (similarity_op) builds the trigrams of each row it
// tests, yet is declared as cheap as an integer comparison (cost 1), so for name lookup's typo test
// the planner preferred testing every row of `person_names` to the trigram index made for it. Its
// cost as declared here is closer to what it does; it only steers plans, never answers
// (https://www.postgresql.org/docs/15/sql-createfunction.html, COST).

const up_statements = [`alter function similarity_op(text, text) cost 100`];

const down_statements = [`alter function similarity_op(text, text) cost 1`];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of up_statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of down_statements) await sql.raw(statement).execute(db);
}
