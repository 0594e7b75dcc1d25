import { sql, type Kysely } from 'kysely';

// Frozen: this file describes the schema as it was on 2026-11-27. Never import from src/.

const up_statements = [
  `create table sections (
    id integer generated always as identity primary key,
    slug text not null unique,
    name text not null,
    description text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create table tags (
    id integer generated always as identity primary key,
    slug text not null unique,
    name text not null,
    description text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create table people (
    id integer generated always as identity primary key,
    slug text not null unique,
    name text not null,
    honorific text,
    description text,
    aliases text[] not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create table organizations (
    id integer generated always as identity primary key,
    slug text not null unique,
    name text not null,
    description text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create table images (
    id integer generated always as identity primary key,
    url text not null unique,
    width integer check (width > 0),
    height integer check (height > 0),
    caption text,
    credit text,
    alt text
  )`,
  `create table articles (
    id integer generated always as identity primary key,
    slug text not null unique,
    url text unique,
    headline text not null,
    standfirst text,
    section_id integer not null references sections (id),
    status text not null check (status in ('draft', 'published')),
    published_at timestamptz,
    updated_at timestamptz not null,
    -- Millisecond precision, as a JavaScript Date and so a keyset cursor carries it.
    created_at timestamptz not null default date_trunc('milliseconds', now()),
    language text not null,
    lead_image_id integer references images (id),
    body jsonb not null,
    word_count integer not null,
    -- Hash of the ingested document: re-ingesting an unchanged file writes nothing.
    content_hash text not null,
    -- The key every listing sorts on: drafts without a date sort by creation.
    listed_at timestamptz generated always as (coalesce(published_at, created_at)) stored,
    constraint published_needs_date check (status = 'draft' or published_at is not null)
  )`,
  `create index articles_listed_at_idx on articles (listed_at desc, id desc)`,
  `create index articles_section_listed_at_idx on articles (section_id, listed_at desc, id desc)`,
  `create index articles_lead_image_idx on articles (lead_image_id)`,
  `create table article_tags (
    article_id integer not null references articles (id) on delete cascade,
    tag_id integer not null references tags (id),
    position integer not null,
    primary key (article_id, tag_id)
  )`,
  `create index article_tags_tag_idx on article_tags (tag_id, article_id)`,
  `create table article_authors (
    article_id integer not null references articles (id) on delete cascade,
    person_id integer not null references people (id),
    position integer not null,
    primary key (article_id, person_id)
  )`,
  `create index article_authors_person_idx on article_authors (person_id, article_id)`,
  `create table article_mentions (
    article_id integer not null references articles (id) on delete cascade,
    person_id integer not null references people (id),
    position integer not null,
    role text,
    primary key (article_id, person_id)
  )`,
  `create index article_mentions_person_idx on article_mentions (person_id, article_id)`,
  `create table article_organizations (
    article_id integer not null references articles (id) on delete cascade,
    organization_id integer not null references organizations (id),
    position integer not null,
    primary key (article_id, organization_id)
  )`,
  `create index article_organizations_organization_idx on article_organizations (organization_id, article_id)`,
  `create table quotes (
    id integer generated always as identity primary key,
    article_id integer not null references articles (id) on delete cascade,
    ordinal integer not null,
    block_position integer not null,
    text text not null,
    context text,
    speaker_person_id integer references people (id),
    speaker_organization_id integer references organizations (id),
    speaker_name text not null,
    unique (article_id, ordinal),
    constraint one_speaker check (speaker_person_id is null or speaker_organization_id is null)
  )`,
  `create index quotes_speaker_person_idx on quotes (speaker_person_id, id desc)`,
  `create index quotes_speaker_organization_idx on quotes (speaker_organization_id, id desc)`,
  `create table related_links (
    id integer generated always as identity primary key,
    article_id integer not null references articles (id) on delete cascade,
    position integer not null,
    title text not null,
    url text,
    label text,
    image_id integer references images (id),
    target_slug text,
    target_article_id integer references articles (id) on delete set null,
    unique (article_id, position),
    constraint link_has_destination check (url is not null or target_slug is not null)
  )`,
  `create index related_links_target_slug_idx on related_links (target_slug)`,
  `create index related_links_target_article_idx on related_links (target_article_id)`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of up_statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'related_links',
    'quotes',
    'article_organizations',
    'article_mentions',
    'article_authors',
    'article_tags',
    'articles',
    'images',
    'organizations',
    'people',
    'tags',
    'sections',
  ]) {
    await sql`drop table ${sql.table(table)}`.execute(db);
  }
}
