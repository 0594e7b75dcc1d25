import { sql, type Kysely } from 'kysely';

// Frozen: never import from src/. A quote's search document is stored, as an article's is
// (`article_search`), instead of only indexed as an expression: testing a candidate quote against a
// query then reads the stored tsvector rather than parsing the quote's text again. Generated from the
// same function as the expression index it replaces (migration 202611270002), so existing rows are
// filled by the column's own definition and every writer keeps it equal without a trigger.

const up_statements = [
  `alter table quotes add column search_document tsvector
     generated always as (byline_quote_search_vector(text, context)) stored`,
  `create index quotes_search_document_idx on quotes using gin (search_document)`,
  `drop index quotes_search_idx`,
];

const down_statements = [
  `create index quotes_search_idx on quotes using gin (byline_quote_search_vector(text, context))`,
  `drop index quotes_search_document_idx`,
  `alter table quotes drop column search_document`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of up_statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of down_statements) await sql.raw(statement).execute(db);
}
