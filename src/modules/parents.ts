import type {
  ArticleRow,
  ImageRow,
  OrganizationRow,
  PersonRow,
  QuoteRow,
  RelatedLinkRow,
  SectionRow,
  StoredBlock,
  TagRow,
} from '../db/database.ts';
import type { Typed } from '../shared/typename.ts';

/**
 * The rows each node type's resolvers receive (codegen `mappers`), in one file: modules name each
 * other's rows through it, so a module's types never import another module (whose index brings its
 * resolvers, and so the whole schema, back round to here).
 */

/** An article row; rows from lists leave `body` out (`Article.body` then loads it by id). */
export type ArticleParent = Typed<Omit<ArticleRow, 'body'> & { readonly body?: StoredBlock[] }, 'Article'>;

export type ImageParent = ImageRow;

export type PersonParent = Typed<PersonRow, 'Person'>;
export type OrganizationParent = Typed<OrganizationRow, 'Organization'>;

/** A person named in an article, with the role it gives them. */
export interface MentionParent {
  readonly person: PersonParent;
  readonly role: string | null;
}

/** What a text search found in a quote: its rank and ts_headline output (sentinel-marked, not escaped). */
export interface QuoteSearchHit {
  readonly rank: number;
  readonly text: string;
  readonly context: string | null;
}

/**
 * A quote; lists also carry its article's `listed_at`, the sort key their cursors need, and a text
 * search its hit.
 */
export type QuoteParent = Typed<
  QuoteRow & { readonly listed_at?: Date; readonly search?: QuoteSearchHit },
  'Quote'
>;

export type RelatedLinkParent = Typed<RelatedLinkRow, 'RelatedLink'>;

export type SectionParent = Typed<SectionRow, 'Section'>;
export type TagParent = Typed<TagRow, 'Tag'>;
