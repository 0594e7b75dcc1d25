import type { QuoteRow } from '../../db/database.ts';
import type { Typed } from '../../shared/typename.ts';

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
