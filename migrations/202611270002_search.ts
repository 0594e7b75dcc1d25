import { sql, type Kysely } from 'kysely';

// Frozen: search and discovery as of 2026-11-27 (docs/search.md). Never import from src/.
// One text search configuration, `byline_english`, serves every tsvector and tsquery so both engines
// (Postgres and PGlite, which ship the same english stemmer, unaccent and pg_trgm) stem identically.

const up_statements = [
  `create extension if not exists unaccent`,
  `create extension if not exists pg_trgm`,
  `create text search configuration public.byline_english (copy = english)`,
  // Accents folded before stemming: "Wílmer" and "Wilmer" are one lexeme.
  `alter text search configuration public.byline_english
     alter mapping for hword, hword_part, word with unaccent, english_stem`,
  // Case, accents and punctuation folded, for name lookup (immutable so it can be indexed).
  `create function byline_fold(value text) returns text
     language sql immutable strict parallel safe
     as $$ select btrim(regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, value)), '[^[:alnum:]]+', ' ', 'g')) $$`,
  // The searchable text of a body, in body order: paragraphs, headings and pull quotes.
  `create function byline_article_body_text(target_id integer) returns text
     language sql stable
     as $$
       select coalesce(string_agg(
         case when block ->> 'type' = 'quote'
           then (select q.text from quotes q where q.article_id = target_id and q.ordinal = (block ->> 'quote')::integer)
           else block ->> 'text' end,
         E'\\n' order by position), '')
       from articles a, jsonb_array_elements(a.body) with ordinality as blocks (block, position)
       where a.id = target_id and block ->> 'type' in ('paragraph', 'heading', 'quote')
     $$`,
  // Headline A, standfirst B, body C, names of people, organizations and tags D. Text is plain, not
  // HTML: "<" becomes a space first, or the parser would read "<script> …" as a tag and drop the words.
  `create function byline_article_search_vector(target_id integer) returns tsvector
     language sql stable
     as $$
       select setweight(to_tsvector('byline_english', translate(a.headline, '<', ' ')), 'A')
         || setweight(to_tsvector('byline_english', translate(coalesce(a.standfirst, ''), '<', ' ')), 'B')
         || setweight(to_tsvector('byline_english', translate(byline_article_body_text(a.id), '<', ' ')), 'C')
         || setweight(to_tsvector('byline_english', translate(coalesce((
              select string_agg(name, ' ') from (
                select p.name from article_mentions m join people p on p.id = m.person_id where m.article_id = a.id
                union all
                select p.name from article_authors w join people p on p.id = w.person_id where w.article_id = a.id
                union all
                select o.name from article_organizations x join organizations o on o.id = x.organization_id where x.article_id = a.id
                union all
                select t.name from article_tags g join tags t on t.id = g.tag_id where g.article_id = a.id
              ) names), ''), '<', ' ')), 'D')
       from articles a where a.id = target_id
     $$`,
  // A table of its own, so selecting articles.* never drags the tsvector along.
  `create table article_search (
     article_id integer primary key references articles (id) on delete cascade,
     document tsvector not null
   )`,
  `create index article_search_document_idx on article_search using gin (document)`,
  `insert into article_search (article_id, document) select id, byline_article_search_vector(id) from articles`,
  // Quote text A, its context B ("<" as above); the index is on the expression, so quote rows stay as they are.
  `create function byline_quote_search_vector(text text, context text) returns tsvector
     language sql immutable parallel safe
     as $$ select setweight(to_tsvector('public.byline_english'::regconfig, translate(text, '<', ' ')), 'A')
              || setweight(to_tsvector('public.byline_english'::regconfig, translate(coalesce(context, ''), '<', ' ')), 'B') $$`,
  `create index quotes_search_idx on quotes using gin (byline_quote_search_vector(text, context))`,
  `create index people_name_trgm_idx on people using gin (byline_fold(name) gin_trgm_ops)`,
  // Ordered listings per tag, author and mentioned person come straight from an index: each link row
  // carries its article's listing key, kept equal to it by the triggers below.
  `alter table article_tags add column listed_at timestamptz`,
  `alter table article_authors add column listed_at timestamptz`,
  `alter table article_mentions add column listed_at timestamptz`,
  `update article_tags l set listed_at = a.listed_at from articles a where a.id = l.article_id`,
  `update article_authors l set listed_at = a.listed_at from articles a where a.id = l.article_id`,
  `update article_mentions l set listed_at = a.listed_at from articles a where a.id = l.article_id`,
  `create function byline_link_listed_at() returns trigger language plpgsql as $$
     begin
       select listed_at into new.listed_at from articles where id = new.article_id;
       return new;
     end $$`,
  `create trigger article_tags_listed_at before insert or update of article_id on article_tags
     for each row execute function byline_link_listed_at()`,
  `create trigger article_authors_listed_at before insert or update of article_id on article_authors
     for each row execute function byline_link_listed_at()`,
  `create trigger article_mentions_listed_at before insert or update of article_id on article_mentions
     for each row execute function byline_link_listed_at()`,
  `create function byline_article_listed_at_changed() returns trigger language plpgsql as $$
     begin
       update article_tags set listed_at = new.listed_at where article_id = new.id;
       update article_authors set listed_at = new.listed_at where article_id = new.id;
       update article_mentions set listed_at = new.listed_at where article_id = new.id;
       return null;
     end $$`,
  `create trigger articles_listed_at_changed after update of published_at on articles
     for each row when (old.published_at is distinct from new.published_at)
     execute function byline_article_listed_at_changed()`,
  `create index article_tags_tag_listed_at_idx on article_tags (tag_id, listed_at desc, article_id desc)`,
  `create index article_authors_person_listed_at_idx on article_authors (person_id, listed_at desc, article_id desc)`,
  `create index article_mentions_person_listed_at_idx on article_mentions (person_id, listed_at desc, article_id desc)`,
];

const down_statements = [
  `drop index article_mentions_person_listed_at_idx`,
  `drop index article_authors_person_listed_at_idx`,
  `drop index article_tags_tag_listed_at_idx`,
  `drop trigger articles_listed_at_changed on articles`,
  `drop function byline_article_listed_at_changed()`,
  `drop trigger article_mentions_listed_at on article_mentions`,
  `drop trigger article_authors_listed_at on article_authors`,
  `drop trigger article_tags_listed_at on article_tags`,
  `drop function byline_link_listed_at()`,
  `alter table article_mentions drop column listed_at`,
  `alter table article_authors drop column listed_at`,
  `alter table article_tags drop column listed_at`,
  `drop index people_name_trgm_idx`,
  `drop index quotes_search_idx`,
  `drop function byline_quote_search_vector(text, text)`,
  `drop table article_search`,
  `drop function byline_article_search_vector(integer)`,
  `drop function byline_article_body_text(integer)`,
  `drop function byline_fold(text)`,
  `drop text search configuration public.byline_english`,
  // The extensions stay: other objects may have come to use them.
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of up_statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of down_statements) await sql.raw(statement).execute(db);
}
