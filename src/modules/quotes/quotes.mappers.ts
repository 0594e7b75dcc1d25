import type { QuoteRow } from '../../db/database.ts';
import type { Typed } from '../../shared/typename.ts';

/** A quote; lists also carry its article's `listed_at`, the sort key their cursors need. */
export type QuoteParent = Typed<QuoteRow & { readonly listed_at?: Date }, 'Quote'>;
