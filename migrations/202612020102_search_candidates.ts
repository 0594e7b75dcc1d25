import { sql, type Kysely } from 'kysely';

// Frozen: never import from src/. Bounded work for text search and name lookup in a large archive:
// - quote search ranks the newest matching quotes, which come in order from `quotes_listed_at_idx`;
// - name lookup finds its candidates through a trigram index over every name and alias of a person,
//   one row each (`person_names`), kept equal to `people` by a trigger, instead of folding every name.

const up_statements = [
  `create index quotes_listed_at_idx on quotes (listed_at desc, id desc)`,
  `create table person_names (
     person_id integer not null references people (id) on delete cascade,
     -- byline_fold of the name or of one alias (migration 202611270002).
     folded text not null,
     primary key (person_id, folded)
   )`,
  `create function byline_person_names() returns trigger language plpgsql as $$
     begin
       delete from person_names where person_id = new.id;
       insert into person_names (person_id, folded)
         select new.id, n from unnest(array[byline_fold(new.name)]
           || array(select byline_fold(alias) from unnest(new.aliases) as alias)) as n
         on conflict do nothing;
       return null;
     end $$`,
  `create trigger people_names after insert or update of name, aliases on people
     for each row execute function byline_person_names()`,
  `insert into person_names (person_id, folded)
     select p.id, n from people p,
       unnest(array[byline_fold(p.name)] || array(select byline_fold(alias) from unnest(p.aliases) as alias)) as n
     on conflict do nothing`,
  `create index person_names_folded_trgm_idx on person_names using gin (folded gin_trgm_ops)`,
];

const down_statements = [
  `drop trigger people_names on people`,
  `drop function byline_person_names()`,
  `drop table person_names`,
  `drop index quotes_listed_at_idx`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of up_statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of down_statements) await sql.raw(statement).execute(db);
}
