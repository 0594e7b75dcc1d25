import type { StoredMark } from '../../db/database.ts';
import type { Typed } from '../../shared/typename.ts';
import type { ImageParent, PersonParent, SectionParent, TagParent } from '../parents.ts';

/**
 * What an article shows beside its own columns, fetched for a batch of articles in one statement:
 * its section, tags, lead image, authors (in byline order) and the images its body blocks show.
 */
export interface ArticleParts {
  readonly section: SectionParent;
  readonly tags: TagParent[];
  readonly leadImage: ImageParent | null;
  readonly authors: PersonParent[];
  readonly bodyImages: ImageParent[];
}

/** Blocks know their article and index, so they can find the quotes and links they hold. */
interface BlockBase {
  readonly articleId: number;
  readonly position: number;
}
/** Text with its marks, as stored. */
export interface RichTextParent {
  readonly text: string;
  readonly marks: readonly StoredMark[];
}
export type ParagraphBlockParent = Typed<BlockBase & RichTextParent, 'ParagraphBlock'>;
export type ListBlockParent = Typed<
  BlockBase & { readonly ordered: boolean; readonly items: readonly RichTextParent[] },
  'ListBlock'
>;
/** A mark as stored; the resolvers make its href absolute and look up its target. */
export type TextMarkParent = StoredMark;
export type HeadingBlockParent = Typed<
  BlockBase & { readonly text: string; readonly level: number },
  'HeadingBlock'
>;
export type QuoteBlockParent = Typed<BlockBase & { readonly quoteOrdinal: number }, 'QuoteBlock'>;
export type ImageBlockParent = Typed<BlockBase & { readonly imageId: number }, 'ImageBlock'>;
export type RelatedLinkBlockParent = Typed<BlockBase & { readonly linkPosition: number }, 'RelatedLinkBlock'>;
export type BlockParent =
  | ParagraphBlockParent
  | HeadingBlockParent
  | QuoteBlockParent
  | ImageBlockParent
  | RelatedLinkBlockParent
  | ListBlockParent;
