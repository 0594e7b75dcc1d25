import type { ColumnType, Generated, Selectable } from 'kysely';
import type { TextMark } from '../shared/rich-text.ts';

/** Table types, written to match `migrations/`. A column the database fills in is `Generated`. */

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface SectionsTable {
  id: Generated<number>;
  slug: string;
  name: string;
  description: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface TagsTable {
  id: Generated<number>;
  slug: string;
  name: string;
  description: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface PeopleTable {
  id: Generated<number>;
  slug: string;
  name: string;
  honorific: string | null;
  description: string | null;
  aliases: ColumnType<string[], string[] | undefined, string[]>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface OrganizationsTable {
  id: Generated<number>;
  slug: string;
  name: string;
  description: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ImagesTable {
  id: Generated<number>;
  url: string;
  width: number | null;
  height: number | null;
  caption: string | null;
  credit: string | null;
  alt: string | null;
}

export type ArticleStatus = 'draft' | 'published';

/** A span of a text with a style or link, as the content format gives it. */
export type StoredMark = TextMark;

/** One block of an article body as stored in `articles.body`; quotes and links by their ordinal. */
export type StoredBlock =
  | { readonly type: 'paragraph'; readonly text: string; readonly marks?: readonly StoredMark[] }
  | {
      readonly type: 'list';
      readonly ordered: boolean;
      readonly items: readonly { readonly text: string; readonly marks?: readonly StoredMark[] }[];
    }
  | { readonly type: 'heading'; readonly text: string; readonly level: number }
  | { readonly type: 'quote'; readonly quote: number }
  | { readonly type: 'image'; readonly image: number }
  | { readonly type: 'relatedLink'; readonly link: number };

export interface ArticlesTable {
  id: Generated<number>;
  slug: string;
  url: string | null;
  headline: string;
  standfirst: string | null;
  section_id: number;
  status: ArticleStatus;
  published_at: Date | null;
  updated_at: Timestamp;
  created_at: CreatedAt;
  language: string;
  lead_image_id: number | null;
  body: ColumnType<StoredBlock[], string, string>;
  word_count: number;
  content_hash: string;
  listed_at: ColumnType<Date, never, never>;
  /** The source system's own id (a CMS's); the article's identity when present. */
  source_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** 1 when created, plus one per real change (update, correction, slug change, unpublish, takedown). */
  revision: ColumnType<number, number | undefined, number>;
  corrections: ColumnType<StoredCorrection[], string | undefined, string>;
  /** Set by a takedown: the article is gone for every caller without the editor scope. */
  taken_down_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  takedown_reason: ColumnType<string | null, string | null | undefined, string | null>;
  taken_down_by: ColumnType<string | null, string | null | undefined, string | null>;
  /** Preview links carry it; bumping it revokes every outstanding link of the article. */
  preview_epoch: ColumnType<number, number | undefined, number>;
}

/** A correction as stored in `articles.corrections`, oldest first. */
export interface StoredCorrection {
  /** ISO 8601 date-time. */
  readonly at: string;
  readonly text: string;
}

/** An old slug of an article: it answers with a redirect to the article's slug now. */
export interface ArticleSlugRedirectsTable {
  slug: string;
  article_id: number;
  created_at: CreatedAt;
}

export interface ArticleTagsTable {
  article_id: number;
  tag_id: number;
  position: number;
  /** The article's `listed_at`, copied by a trigger (migration 202611270002). */
  listed_at: ColumnType<Date | null, never, never>;
}

export interface ArticleAuthorsTable {
  article_id: number;
  person_id: number;
  position: number;
  /** The article's `listed_at`, copied by a trigger (migration 202611270002). */
  listed_at: ColumnType<Date | null, never, never>;
}

export interface ArticleMentionsTable {
  article_id: number;
  person_id: number;
  position: number;
  role: string | null;
  /** The article's `listed_at`, copied by a trigger (migration 202611270002). */
  listed_at: ColumnType<Date | null, never, never>;
}

export interface ArticleOrganizationsTable {
  article_id: number;
  organization_id: number;
  position: number;
}

export interface QuotesTable {
  id: Generated<number>;
  article_id: number;
  ordinal: number;
  block_position: number;
  text: string;
  context: string | null;
  speaker_person_id: number | null;
  speaker_organization_id: number | null;
  speaker_name: string;
  /** The article's `listed_at`, copied by a trigger (migration 202612020101); never null. */
  listed_at: ColumnType<Date, never, never>;
  /** The quote's search document, generated from its text and context (migration 202612030201). */
  search_document: ColumnType<string, never, never>;
}

export interface RelatedLinksTable {
  id: Generated<number>;
  article_id: number;
  position: number;
  title: string;
  url: string | null;
  label: string | null;
  image_id: number | null;
  target_slug: string | null;
  target_article_id: number | null;
}

export interface PartnersTable {
  id: Generated<number>;
  name: string;
  key_prefix: string;
  key_hash: string;
  origins: ColumnType<string[], string[] | undefined, string[]>;
  scopes: ColumnType<string[], string[] | undefined, string[]>;
  rate_limit_per_minute: number | null;
  cost_budget: number | null;
  created_at: CreatedAt;
  key_created_at: UpdatedAt;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** The article's weighted search document, rewritten by ingest in the article's transaction. */
/** Every name and alias of a person, folded, for the trigram index of name lookup (migration 202612020102). */
export interface PersonNamesTable {
  person_id: number;
  folded: string;
}

export interface ArticleSearchTable {
  article_id: number;
  document: string;
}

/** `active`, `failing` (a delivery used up its retries; still tried) or `disabled` (410 Gone, or by hand). */
export type WebhookEndpointState = 'active' | 'failing' | 'disabled';

/** A partner's webhook endpoint (migration 202612030401). */
export interface WebhookEndpointsTable {
  id: Generated<number>;
  partner_id: number;
  url: string;
  description: string | null;
  event_types: ColumnType<string[], string[] | undefined, string[]>;
  sections: ColumnType<string[], string[] | undefined, string[]>;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  secret: string;
  previous_secret: ColumnType<string | null, string | null | undefined, string | null>;
  previous_secret_expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** pg returns bigint as a string. */
  delivered_through: ColumnType<string, number | string | undefined, number | string>;
  state: ColumnType<WebhookEndpointState, WebhookEndpointState | undefined, WebhookEndpointState>;
  state_reason: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event for one endpoint; its attempts are in `webhook_attempts`. */
export interface WebhookDeliveriesTable {
  id: ColumnType<string, never, never>;
  endpoint_id: number;
  position: ColumnType<string, number | string, number | string>;
  generation: ColumnType<number, number | undefined, number>;
  event_type: string;
  payload: string;
  status: ColumnType<WebhookDeliveryStatus, WebhookDeliveryStatus | undefined, WebhookDeliveryStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  last_status_code: ColumnType<number | null, number | null | undefined, number | null>;
  last_error: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export type WebhookAttemptOutcome = 'delivered' | 'failed' | 'interrupted' | 'refused';

/** One HTTP attempt of a delivery: the delivery log. */
export interface WebhookAttemptsTable {
  id: ColumnType<string, never, never>;
  delivery_id: number | string;
  generation: number;
  attempt: number;
  started_at: CreatedAt;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  status_code: ColumnType<number | null, number | null | undefined, number | null>;
  latency_ms: ColumnType<number | null, number | null | undefined, number | null>;
  outcome: ColumnType<
    WebhookAttemptOutcome | null,
    WebhookAttemptOutcome | null | undefined,
    WebhookAttemptOutcome | null
  >;
  error: ColumnType<string | null, string | null | undefined, string | null>;
}

/** An article's state as the visibility rule sees it, at one moment (`absent`: no such article). */
export type ArticleChangeState = 'absent' | 'draft' | 'embargoed' | 'published' | 'taken_down';

export type ArticleChangeType =
  | 'created'
  | 'updated'
  | 'published'
  | 'unpublished'
  | 'corrected'
  | 'slug_changed'
  | 'taken_down'
  | 'deleted';

/** One event of the change log (migration 202612030101), in commit order by `position`. */
export interface ArticleChangesTable {
  position: ColumnType<number, number, never>;
  type: ArticleChangeType;
  occurred_at: Timestamp;
  article_id: number;
  slug: string;
  previous_slug: string | null;
  revision: number;
  /** The article's section and tags as of the event: before and after it, for a change that moved it. */
  section_ids: number[];
  tag_ids: number[];
  published_at: Date | null;
  state_before: ArticleChangeState;
  state_after: ArticleChangeState;
}

/** The log's one row: the last position handed out (its row lock orders appends by commit). */
export interface ArticleChangeLogTable {
  id: ColumnType<boolean, never, never>;
  last_position: ColumnType<number, never, number>;
  /** Embargoes that lifted up to this time have their `published` event. */
  lifts_checked_until: Timestamp;
  /** The highest position pruned by retention: an older cursor has missed events. */
  pruned_through: ColumnType<number, never, number>;
}

export interface Database {
  article_changes: ArticleChangesTable;
  article_change_log: ArticleChangeLogTable;
  sections: SectionsTable;
  tags: TagsTable;
  people: PeopleTable;
  organizations: OrganizationsTable;
  images: ImagesTable;
  articles: ArticlesTable;
  article_tags: ArticleTagsTable;
  article_authors: ArticleAuthorsTable;
  article_mentions: ArticleMentionsTable;
  article_organizations: ArticleOrganizationsTable;
  quotes: QuotesTable;
  related_links: RelatedLinksTable;
  partners: PartnersTable;
  article_search: ArticleSearchTable;
  article_slug_redirects: ArticleSlugRedirectsTable;
  person_names: PersonNamesTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}

export type SectionRow = Selectable<SectionsTable>;
export type TagRow = Selectable<TagsTable>;
export type PersonRow = Selectable<PeopleTable>;
export type OrganizationRow = Selectable<OrganizationsTable>;
export type ImageRow = Selectable<ImagesTable>;
export type ArticleRow = Selectable<ArticlesTable>;
/** A quote as read: everything but its search document, which only search reads. */
export type QuoteRow = Omit<Selectable<QuotesTable>, 'search_document'>;
export type RelatedLinkRow = Selectable<RelatedLinksTable>;
export type PartnerRow = Selectable<PartnersTable>;
export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type WebhookAttemptRow = Selectable<WebhookAttemptsTable>;
