import type { SectionRow, TagRow } from '../../db/database.ts';
import type { Typed } from '../../shared/typename.ts';

export type SectionParent = Typed<SectionRow, 'Section'>;
export type TagParent = Typed<TagRow, 'Tag'>;
