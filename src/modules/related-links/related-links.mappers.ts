import type { RelatedLinkRow } from '../../db/database.ts';
import type { Typed } from '../../shared/typename.ts';

export type RelatedLinkParent = Typed<RelatedLinkRow, 'RelatedLink'>;
