import { sql, type Kysely } from 'kysely';

// Frozen: never import from src/. Rich text: paragraphs may carry inline marks (links, emphasis) and
// bodies may hold list blocks. Marks live beside the plain text in `articles.body`, so a body's
// searchable text only gains the items of its lists, in body order, one item a line.

const bodyText = (
  withLists: boolean,
) => `create or replace function byline_article_body_text(target_id integer) returns text
     language sql stable
     as $$
       select coalesce(string_agg(
         case when block ->> 'type' = 'quote'
           then (select q.text from quotes q where q.article_id = target_id and q.ordinal = (block ->> 'quote')::integer)
           ${
             withLists
               ? `when block ->> 'type' = 'list'
           then (select string_agg(item ->> 'text', E'\\n' order by n) from jsonb_array_elements(block -> 'items') with ordinality as items (item, n))`
               : ''
           }
           else block ->> 'text' end,
         E'\\n' order by position), '')
       from articles a, jsonb_array_elements(a.body) with ordinality as blocks (block, position)
       where a.id = target_id and block ->> 'type' in ('paragraph', 'heading', 'quote'${withLists ? `, 'list'` : ''})
     $$`;

// Bodies with a list are indexed again; no stored body had one before this migration.
const reindexLists = `update article_search s set document = byline_article_search_vector(s.article_id)
  where exists (select 1 from articles a, jsonb_array_elements(a.body) as block
                where a.id = s.article_id and block ->> 'type' = 'list')`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(bodyText(true)).execute(db);
  await sql.raw(reindexLists).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(bodyText(false)).execute(db);
  await sql.raw(reindexLists).execute(db);
}
