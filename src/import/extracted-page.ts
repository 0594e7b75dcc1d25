import type { ImageDocument } from '../ingest/article-document.ts';
import type { InlineText } from './inline-text.ts';

/** A related-story card found in the page: a link to another story, with its label. */
export interface ExtractedCard {
  readonly title: string;
  readonly label?: string;
  readonly url?: string;
  readonly imageCaption?: string;
}

export type ExtractedBlock =
  | { readonly type: 'paragraph'; readonly content: InlineText }
  | { readonly type: 'list'; readonly ordered: boolean; readonly items: readonly InlineText[] }
  | { readonly type: 'heading'; readonly text: string; readonly level: number }
  | { readonly type: 'image'; readonly image: ImageDocument }
  | { readonly type: 'card'; readonly card: ExtractedCard };

/** What one page yields before quotes and people are looked for: its text, metadata and what was dropped. */
export interface ExtractedPage {
  readonly format: 'html' | 'text';
  headline?: string | undefined;
  standfirst?: string | undefined;
  section?: string | undefined;
  publishedAt?: string | undefined;
  updatedAt?: string | undefined;
  language?: string | undefined;
  url?: string | undefined;
  authors: string[];
  tags: string[];
  leadImage?: ImageDocument | undefined;
  /** Lead image parts found without a usable URL (a text dump has none). */
  leadImageText?: { caption?: string; credit?: string } | undefined;
  readonly blocks: ExtractedBlock[];
  /** Lines or elements dropped as page chrome, as they were. */
  readonly chrome: string[];
  /** Things found that the document cannot carry, or that were changed on the way. */
  readonly notes: string[];
}

export function emptyPage(format: 'html' | 'text'): ExtractedPage {
  return { format, authors: [], tags: [], blocks: [], chrome: [], notes: [] };
}

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/** An ISO date-time at midnight UTC from dates as pages print them, or undefined. */
export function parsePrintedDate(text: string): string | undefined {
  const iso = (year: number, month: number, day: number) => {
    if (month < 1 || month > 12 || day < 1 || day > 31 || year < 1900 || year > 2200) return undefined;
    return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T00:00:00Z`;
  };
  let match = /\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b/.exec(text);
  if (match) return iso(Number(match[3]), Number(match[2]), Number(match[1]));
  match = /\b(\d{4})-(\d{2})-(\d{2})\b/.exec(text);
  if (match) return iso(Number(match[1]), Number(match[2]), Number(match[3]));
  match = /\b([A-Z][a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b/.exec(text);
  if (match) {
    const month = MONTHS.findIndex((name) => name.startsWith(match![1]!.toLowerCase().slice(0, 3)));
    if (month >= 0) return iso(Number(match[3]), month + 1, Number(match[2]));
  }
  return undefined;
}

/** A date-time Byline accepts (ISO 8601 with offset), from the forms metadata uses. */
export function normalizeDateTime(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) return `${trimmed}T00:00:00Z`;
  const time = Date.parse(trimmed);
  if (Number.isNaN(time)) return parsePrintedDate(trimmed);
  return new Date(time).toISOString().replace(/\.000Z$/, 'Z');
}
