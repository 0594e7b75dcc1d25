import type { ArticleRow, PersonRow } from '../../db/database.ts';
import type { Typed } from '../../shared/typename.ts';

export type ArticleParent = Typed<ArticleRow, 'Article'>;

/** A person named in an article, with the role it gives them. */
export interface MentionParent {
  readonly person: Typed<PersonRow, 'Person'>;
  readonly role: string | null;
}

/** Blocks know their article and index, so they can find the quotes and links they hold. */
interface BlockBase {
  readonly articleId: number;
  readonly position: number;
}
export type ParagraphBlockParent = Typed<BlockBase & { readonly text: string }, 'ParagraphBlock'>;
export type HeadingBlockParent = Typed<
  BlockBase & { readonly text: string; readonly level: number },
  'HeadingBlock'
>;
export type QuoteBlockParent = Typed<BlockBase & { readonly quoteOrdinal: number }, 'QuoteBlock'>;
export type ImageBlockParent = Typed<BlockBase & { readonly imageId: number }, 'ImageBlock'>;
export type RelatedLinkBlockParent = Typed<BlockBase & { readonly linkPosition: number }, 'RelatedLinkBlock'>;
export type BlockParent =
  ParagraphBlockParent | HeadingBlockParent | QuoteBlockParent | ImageBlockParent | RelatedLinkBlockParent;
