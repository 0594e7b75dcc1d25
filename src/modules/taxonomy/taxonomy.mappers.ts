import type { SectionRow, TagRow } from '../../db/database.ts';
import type { Typed } from '../../shared/typename.ts';

export type SectionParent = Typed<SectionRow, 'Section'>;
export type TagParent = Typed<TagRow, 'Tag'>;
/** A tag as listed on one article (its position there). */
export type ArticleTagRow = TagRow & { readonly article_id: number };
