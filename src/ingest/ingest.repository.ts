import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, StoredBlock, StoredCorrection } from '../db/database.ts';
import { CONTENT_CHANGED_CHANNEL, type TermKind } from '../shared/cache-tags.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface TermInput {
  readonly slug: string;
  readonly name: string;
  readonly description: string | null;
}

export interface PersonInput extends TermInput {
  readonly honorific: string | null;
  readonly aliases: readonly string[];
}

export interface ImageInput {
  readonly url: string;
  readonly width: number | null;
  readonly height: number | null;
  readonly caption: string | null;
  readonly credit: string | null;
  readonly alt: string | null;
}

/** What an upsert stored: slug (or URL) → id of every row, and the rows it inserted or changed. */
export interface Upserted {
  readonly ids: Map<string, number>;
  readonly changed: readonly { readonly id: number; readonly key: string }[];
}

const nothingUpserted = (): Upserted => ({ ids: new Map(), changed: [] });

/** The columns ingest writes for a section, tag or organization (ids and timestamps come from the table). */
export function termValues({ slug, name, description }: TermInput) {
  return { slug, name, description };
}

/** The `people` columns ingest writes. */
export function personValues({ slug, name, description, honorific, aliases }: PersonInput) {
  return { slug, name, description, honorific, aliases: [...aliases] };
}

/** The `images` columns ingest writes. */
export function imageValues(image: ImageInput) {
  return { ...image };
}

/** Upserts by slug; returns slug → id. Rows whose values did not change are not rewritten. */
async function upsertTerms(
  db: Db,
  table: 'sections' | 'tags' | 'organizations',
  terms: readonly TermInput[],
): Promise<Upserted> {
  if (terms.length === 0) return nothingUpserted();
  const changed = await db
    .insertInto(table)
    .values(terms.map(termValues))
    .onConflict((oc) =>
      oc
        .column('slug')
        .doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          description: eb.ref('excluded.description'),
          updated_at: sql`now()`,
        }))
        .where(
          sql<boolean>`(${sql.table(table)}.name, ${sql.table(table)}.description) is distinct from (excluded.name, excluded.description)`,
        ),
    )
    .returning(['id', 'slug'])
    .execute();
  const ids = await db
    .selectFrom(table)
    .select(['id', 'slug'])
    .where(
      'slug',
      'in',
      terms.map((t) => t.slug),
    )
    .execute();
  return {
    ids: new Map(ids.map((row) => [row.slug, row.id])),
    changed: changed.map((row) => ({ id: row.id, key: row.slug })),
  };
}

export const upsertSections = (db: Db, terms: readonly TermInput[]) => upsertTerms(db, 'sections', terms);
export const upsertTags = (db: Db, terms: readonly TermInput[]) => upsertTerms(db, 'tags', terms);
export const upsertOrganizations = (db: Db, terms: readonly TermInput[]) =>
  upsertTerms(db, 'organizations', terms);

export async function upsertPeople(db: Db, people: readonly PersonInput[]): Promise<Upserted> {
  if (people.length === 0) return nothingUpserted();
  const changed = await db
    .insertInto('people')
    .values(people.map(personValues))
    .onConflict((oc) =>
      oc
        .column('slug')
        .doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          description: eb.ref('excluded.description'),
          honorific: eb.ref('excluded.honorific'),
          aliases: eb.ref('excluded.aliases'),
          updated_at: sql`now()`,
        }))
        .where(
          sql<boolean>`(people.name, people.description, people.honorific, people.aliases)
            is distinct from (excluded.name, excluded.description, excluded.honorific, excluded.aliases)`,
        ),
    )
    .returning(['id', 'slug'])
    .execute();
  const ids = await db
    .selectFrom('people')
    .select(['id', 'slug'])
    .where(
      'slug',
      'in',
      people.map((p) => p.slug),
    )
    .execute();
  return {
    ids: new Map(ids.map((row) => [row.slug, row.id])),
    changed: changed.map((row) => ({ id: row.id, key: row.slug })),
  };
}

/** Upserts by URL; returns url → id. */
export async function upsertImages(db: Db, images: readonly ImageInput[]): Promise<Upserted> {
  if (images.length === 0) return nothingUpserted();
  const changed = await db
    .insertInto('images')
    .values(images.map(imageValues))
    .onConflict((oc) =>
      oc
        .column('url')
        .doUpdateSet((eb) => ({
          width: eb.ref('excluded.width'),
          height: eb.ref('excluded.height'),
          caption: eb.ref('excluded.caption'),
          credit: eb.ref('excluded.credit'),
          alt: eb.ref('excluded.alt'),
        }))
        .where(
          sql<boolean>`(images.width, images.height, images.caption, images.credit, images.alt)
            is distinct from (excluded.width, excluded.height, excluded.caption, excluded.credit, excluded.alt)`,
        ),
    )
    .returning(['id', 'url'])
    .execute();
  const ids = await db
    .selectFrom('images')
    .select(['id', 'url'])
    .where(
      'url',
      'in',
      images.map((i) => i.url),
    )
    .execute();
  return {
    ids: new Map(ids.map((row) => [row.url, row.id])),
    changed: changed.map((row) => ({ id: row.id, key: row.url })),
  };
}

/** What decides an article's identity and whether a write may go on; locked until the transaction ends. */
export interface ArticleIdentityRow {
  readonly id: number;
  readonly slug: string;
  readonly url: string | null;
  readonly content_hash: string;
  readonly source_id: string | null;
  readonly revision: number;
  readonly taken_down_at: Date | null;
  readonly status: 'draft' | 'published';
  readonly headline: string;
}

const IDENTITY_COLUMNS = [
  'id',
  'slug',
  'url',
  'content_hash',
  'source_id',
  'revision',
  'taken_down_at',
  'status',
  'headline',
] as const;

/**
 * The articles holding this slug, URL or source id, locked (`for update`): two writers of one
 * article take turns, so the later sees the earlier's revision.
 */
export function findArticleIdentity(
  db: Db,
  slug: string,
  url: string | null,
  sourceId: string | null = null,
): Promise<ArticleIdentityRow[]> {
  return db
    .selectFrom('articles')
    .select(IDENTITY_COLUMNS)
    .where((eb) =>
      eb.or([
        eb('slug', '=', slug),
        ...(url === null ? [] : [eb('url', '=', url)]),
        ...(sourceId === null ? [] : [eb('source_id', '=', sourceId)]),
      ]),
    )
    .forUpdate()
    .execute();
}

/** One article by id, slug (an old slug too) or source id, locked for the transaction. */
export async function findArticleForChange(
  db: Db,
  ref: { readonly id?: number; readonly slug?: string; readonly sourceId?: string },
): Promise<ArticleIdentityRow | undefined> {
  let query = db.selectFrom('articles').select(IDENTITY_COLUMNS).forUpdate();
  if (ref.id !== undefined) query = query.where('id', '=', ref.id);
  else if (ref.sourceId !== undefined) query = query.where('source_id', '=', ref.sourceId);
  else if (ref.slug !== undefined) {
    const slug = ref.slug;
    query = query.where((eb) =>
      eb.or([
        eb('slug', '=', slug),
        eb('id', '=', eb.selectFrom('article_slug_redirects').select('article_id').where('slug', '=', slug)),
      ]),
    );
  } else return undefined;
  return query.executeTakeFirst();
}

/** The article an old slug now redirects to, if any. */
export function findSlugRedirect(db: Db, slug: string) {
  return db
    .selectFrom('article_slug_redirects')
    .select(['slug', 'article_id'])
    .where('slug', '=', slug)
    .executeTakeFirst();
}

/** Keeps `slug` answering for the article (a redirect to its slug now); a slug reused later drops it. */
export async function addSlugRedirect(db: Db, slug: string, articleId: number): Promise<void> {
  await db
    .insertInto('article_slug_redirects')
    .values({ slug, article_id: articleId })
    .onConflict((oc) => oc.column('slug').doUpdateSet({ article_id: articleId }))
    .execute();
}

/** A slug taken by an article stops redirecting elsewhere; returns the article it redirected to. */
export async function dropSlugRedirect(db: Db, slug: string): Promise<number | undefined> {
  const row = await db
    .deleteFrom('article_slug_redirects')
    .where('slug', '=', slug)
    .returning('article_id')
    .executeTakeFirst();
  return row?.article_id;
}

export interface ArticleInput {
  readonly slug: string;
  readonly url: string | null;
  readonly headline: string;
  readonly standfirst: string | null;
  readonly sectionId: number;
  readonly status: 'draft' | 'published';
  readonly publishedAt: Date | null;
  readonly updatedAt: Date;
  readonly language: string;
  readonly leadImageId: number | null;
  readonly body: readonly StoredBlock[];
  readonly wordCount: number;
  readonly contentHash: string;
  readonly sourceId: string | null;
  /** The document's corrections; undefined keeps the ones stored (added by the correct mutation). */
  readonly corrections: readonly StoredCorrection[] | undefined;
}

/** The `articles` columns ingest writes for one article (the id and timestamps come from the table). */
export function articleValues(article: ArticleInput) {
  return {
    slug: article.slug,
    url: article.url,
    headline: article.headline,
    standfirst: article.standfirst,
    section_id: article.sectionId,
    status: article.status,
    published_at: article.publishedAt,
    updated_at: article.updatedAt,
    language: article.language,
    lead_image_id: article.leadImageId,
    body: JSON.stringify(article.body),
    word_count: article.wordCount,
    content_hash: article.contentHash,
    source_id: article.sourceId,
    ...(article.corrections !== undefined && { corrections: JSON.stringify(article.corrections) }),
  };
}

export async function insertArticle(db: Db, article: ArticleInput): Promise<number> {
  const row = await db
    .insertInto('articles')
    .values(articleValues(article))
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Rewrites an article's own columns (its slug too: a renamed article) and counts a revision. */
export async function updateArticle(db: Db, articleId: number, article: ArticleInput): Promise<number> {
  const row = await db
    .updateTable('articles')
    .set((eb) => ({ ...articleValues(article), revision: eb('revision', '+', 1) }))
    .where('id', '=', articleId)
    .returning('revision')
    .executeTakeFirstOrThrow();
  return row.revision;
}

/** Deletes an article whose slug a replacing document takes; its quotes, links and search entry go with it. */
export async function deleteArticle(db: Db, articleId: number): Promise<void> {
  await db.deleteFrom('articles').where('id', '=', articleId).execute();
}

export interface ArticleLinksInput {
  readonly tagIds: readonly number[];
  readonly authorIds: readonly number[];
  readonly mentions: readonly { readonly personId: number; readonly role: string | null }[];
  readonly organizationIds: readonly number[];
}

/** The rows of the four link tables for one article, positions in document order. */
export function articleLinkValues(articleId: number, links: ArticleLinksInput) {
  return {
    article_tags: links.tagIds.map((tag_id, position) => ({ article_id: articleId, tag_id, position })),
    article_authors: links.authorIds.map((person_id, position) => ({
      article_id: articleId,
      person_id,
      position,
    })),
    article_mentions: links.mentions.map(({ personId, role }, position) => ({
      article_id: articleId,
      person_id: personId,
      role,
      position,
    })),
    article_organizations: links.organizationIds.map((organization_id, position) => ({
      article_id: articleId,
      organization_id,
      position,
    })),
  };
}

export async function replaceArticleLinks(
  db: Db,
  articleId: number,
  links: ArticleLinksInput,
): Promise<void> {
  await db.deleteFrom('article_tags').where('article_id', '=', articleId).execute();
  await db.deleteFrom('article_authors').where('article_id', '=', articleId).execute();
  await db.deleteFrom('article_mentions').where('article_id', '=', articleId).execute();
  await db.deleteFrom('article_organizations').where('article_id', '=', articleId).execute();
  const values = articleLinkValues(articleId, links);
  if (values.article_tags.length > 0)
    await db.insertInto('article_tags').values(values.article_tags).execute();
  if (values.article_authors.length > 0)
    await db.insertInto('article_authors').values(values.article_authors).execute();
  if (values.article_mentions.length > 0)
    await db.insertInto('article_mentions').values(values.article_mentions).execute();
  if (values.article_organizations.length > 0)
    await db.insertInto('article_organizations').values(values.article_organizations).execute();
}

export interface QuoteInput {
  readonly blockPosition: number;
  readonly text: string;
  readonly context: string | null;
  readonly speakerPersonId: number | null;
  readonly speakerOrganizationId: number | null;
  readonly speakerName: string;
}

/** The `quotes` rows of one article, by ordinal (ids come from the table). */
export function quoteValues(articleId: number, quotes: readonly QuoteInput[]) {
  return quotes.map((quote, ordinal) => ({
    article_id: articleId,
    ordinal,
    block_position: quote.blockPosition,
    text: quote.text,
    context: quote.context,
    speaker_person_id: quote.speakerPersonId,
    speaker_organization_id: quote.speakerOrganizationId,
    speaker_name: quote.speakerName,
  }));
}

/** Quotes by ordinal: the same ordinal keeps its id (and so its URL) across edits; extras go. */
export async function replaceQuotes(db: Db, articleId: number, quotes: readonly QuoteInput[]): Promise<void> {
  await db
    .deleteFrom('quotes')
    .where('article_id', '=', articleId)
    .where('ordinal', '>=', quotes.length)
    .execute();
  if (quotes.length === 0) return;
  await db
    .insertInto('quotes')
    .values(quoteValues(articleId, quotes))
    .onConflict((oc) =>
      oc.columns(['article_id', 'ordinal']).doUpdateSet((eb) => ({
        block_position: eb.ref('excluded.block_position'),
        text: eb.ref('excluded.text'),
        context: eb.ref('excluded.context'),
        speaker_person_id: eb.ref('excluded.speaker_person_id'),
        speaker_organization_id: eb.ref('excluded.speaker_organization_id'),
        speaker_name: eb.ref('excluded.speaker_name'),
      })),
    )
    .execute();
}

export interface RelatedLinkInput {
  readonly title: string;
  readonly url: string | null;
  readonly label: string | null;
  readonly imageId: number | null;
  readonly targetSlug: string | null;
}

/**
 * The `related_links` rows of one article, by position, without `target_article_id`: that is the id
 * of the article whose slug is `target_slug`, resolved in SQL (ids come from the table).
 */
export function relatedLinkValues(articleId: number, links: readonly RelatedLinkInput[]) {
  return links.map((link, position) => ({
    article_id: articleId,
    position,
    title: link.title,
    url: link.url,
    label: link.label,
    image_id: link.imageId,
    target_slug: link.targetSlug,
  }));
}

/** Links by position, like quotes; a link to one of ours targets it by slug, now or once it exists. */
export async function replaceRelatedLinks(
  db: Db,
  articleId: number,
  links: readonly RelatedLinkInput[],
): Promise<void> {
  await db
    .deleteFrom('related_links')
    .where('article_id', '=', articleId)
    .where('position', '>=', links.length)
    .execute();
  if (links.length === 0) return;
  await db
    .insertInto('related_links')
    .values(
      relatedLinkValues(articleId, links).map((values) => ({
        ...values,
        target_article_id:
          values.target_slug === null
            ? null
            : sql<number | null>`(select id from articles where slug = ${values.target_slug})`,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['article_id', 'position']).doUpdateSet((eb) => ({
        title: eb.ref('excluded.title'),
        url: eb.ref('excluded.url'),
        label: eb.ref('excluded.label'),
        image_id: eb.ref('excluded.image_id'),
        target_slug: eb.ref('excluded.target_slug'),
        target_article_id: eb.ref('excluded.target_article_id'),
      })),
    )
    .execute();
}

/**
 * Links elsewhere that named this article by slug before it existed now target it; returns the ids of
 * the articles showing those links.
 */
export async function attachLinksTargeting(db: Db, articleId: number, slug: string): Promise<number[]> {
  const rows = await db
    .updateTable('related_links')
    .set({ target_article_id: articleId })
    .where('target_slug', '=', slug)
    .where((eb) => eb.or([eb('target_article_id', 'is', null), eb('target_article_id', '!=', articleId)]))
    .returning('article_id')
    .execute();
  return rows.map((row) => row.article_id);
}

/**
 * Tells the `byline_content_changed` statement triggers (migration 202611270006) that this
 * transaction announces its changes itself: run before its first write.
 */
export async function markContentAnnounced(db: Db): Promise<void> {
  await sql`select set_config('byline.content_announced', 'on', true)`.execute(db);
}

/** The section, tags, people and organizations an article has now (speakers of its quotes included). */
export async function findArticleTerms(
  db: Db,
  articleId: number,
): Promise<{ kind: TermKind; id: number; slug: string }[]> {
  const { rows } = await sql<{ kind: TermKind; id: number; slug: string }>`
    select 'section' as kind, s.id, s.slug from articles a join sections s on s.id = a.section_id where a.id = ${articleId}
    union select 'tag', t.id, t.slug from article_tags l join tags t on t.id = l.tag_id where l.article_id = ${articleId}
    union select 'person', p.id, p.slug from article_authors l join people p on p.id = l.person_id where l.article_id = ${articleId}
    union select 'person', p.id, p.slug from article_mentions l join people p on p.id = l.person_id where l.article_id = ${articleId}
    union select 'person', p.id, p.slug from quotes q join people p on p.id = q.speaker_person_id where q.article_id = ${articleId}
    union select 'organization', o.id, o.slug from article_organizations l join organizations o on o.id = l.organization_id where l.article_id = ${articleId}
    union select 'organization', o.id, o.slug from quotes q join organizations o on o.id = q.speaker_organization_id where q.article_id = ${articleId}`.execute(
    db,
  );
  return rows;
}

/**
 * Announces changed cache tags (a JSON array) on commit; with no payload (too large for one
 * notification), the transaction id, which listeners read as "everything changed".
 */
export async function notifyContentChanged(db: Db, payload: string | undefined): Promise<void> {
  await (
    payload === undefined
      ? sql`select pg_notify(${CONTENT_CHANGED_CHANNEL}, txid_current()::text)`
      : sql`select pg_notify(${CONTENT_CHANGED_CHANNEL}, ${payload})`
  ).execute(db);
}

/** Announces "everything" (this transaction's id, as the statement triggers would) and returns the id. */
export async function announceEverything(db: Db): Promise<string> {
  const { rows } = await sql<{ id: string }>`select txid_current()::text as id`.execute(db);
  const id = rows[0]!.id;
  await sql`select pg_notify(${CONTENT_CHANGED_CHANNEL}, ${id})`.execute(db);
  return id;
}

/** Rewrites the article's search document from what is stored now: run last, in the ingest transaction. */
export async function refreshArticleSearch(db: Db, articleId: number): Promise<void> {
  await sql`insert into article_search (article_id, document)
    values (${articleId}, byline_article_search_vector(${articleId}))
    on conflict (article_id) do update set document = excluded.document`.execute(db);
}

export async function countArticles(db: Db): Promise<number> {
  const row = await db
    .selectFrom('articles')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
