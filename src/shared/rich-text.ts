import { escapeHtml } from './escape-html.ts';

/**
 * Rich text: a plain `text` plus typed marks over spans of it, by UTF-16 code unit offsets (the
 * indexes of a JavaScript string, `text.slice(start, end)`): a link, emphasis or strong. The text is
 * the words exactly as printed, so quotes, search and word counts read it unchanged; the marks only
 * style or link spans of it (docs/content-format.md, "Rich text").
 */
export type TextMark =
  | {
      readonly type: 'link';
      readonly start: number;
      readonly end: number;
      /** An absolute http(s) URL or a root-relative path on the gateway (`safeHref`). */
      readonly href: string;
      /** Slug of one of our articles the link points at, when the writer named it. */
      readonly article?: string | undefined;
    }
  | { readonly type: 'emphasis' | 'strong'; readonly start: number; readonly end: number };

export interface RichText {
  readonly text: string;
  readonly marks?: readonly TextMark[] | undefined;
}

// Unicode spaces beyond Latin-1, and the invisible format characters between them.
const UNICODE_SPACES = /[\u1680\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff]/u;

/**
 * Control characters, spaces and backslashes: browsers strip or reinterpret them inside URLs
 * ("java\tscript:", "/\\evil.example"), so an href carrying one is refused rather than cleaned.
 */
function hasUnsafeUrlChar(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code <= 0x20 || (code >= 0x7f && code <= 0xa0) || code === 0x5c) return true;
  }
  return UNICODE_SPACES.test(value);
}

/**
 * The href as given when it may become a link: an absolute `http(s)` URL, or a root-relative path
 * (`/articles/…`) on the gateway. Null for anything else: `javascript:`, `data:`, `vbscript:`,
 * protocol-relative `//host`, and any URL with whitespace, control characters or backslashes in it.
 */
export function safeHref(value: string): string | null {
  if (value.length === 0 || value.length > 2048 || hasUnsafeUrlChar(value)) return null;
  if (value.startsWith('/')) return value.startsWith('//') ? null : value;
  if (!/^https?:\/\//i.test(value) || !URL.canParse(value)) return null;
  return /^https?:$/.test(new URL(value).protocol) ? value : null;
}

/** An href as clients follow it: a root-relative path made absolute on the gateway's public URL. */
export function absoluteHref(href: string, publicUrl: string): string {
  return href.startsWith('/') ? `${publicUrl}${href}` : href;
}

export interface MarkProblem {
  /** Path below the text's object, like `['marks', 2, 'end']`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/**
 * Every problem of a text's marks: offsets outside the text, empty spans, spans splitting a
 * surrogate pair, unsafe hrefs, and marks that cross each other (marks nest or stay apart; two
 * marks of one type never overlap), so every list of marks renders as one well-formed HTML tree.
 */
export function markProblems(text: string, marks: readonly TextMark[]): MarkProblem[] {
  const problems: MarkProblem[] = [];
  const splitsPair = (offset: number) =>
    offset > 0 && offset < text.length && isHighSurrogate(text.charCodeAt(offset - 1));
  marks.forEach((mark, index) => {
    if (mark.end > text.length) {
      problems.push({
        path: ['marks', index, 'end'],
        message: `expected an offset at most the text's length (${text.length} UTF-16 code units), got ${mark.end}`,
      });
    } else if (mark.start >= mark.end) {
      problems.push({
        path: ['marks', index],
        message: `expected a non-empty span (start < end), got start ${mark.start} and end ${mark.end}`,
      });
    } else if (splitsPair(mark.start) || splitsPair(mark.end)) {
      problems.push({
        path: ['marks', index],
        message: `expected offsets between characters, got ${splitsPair(mark.start) ? mark.start : mark.end}, inside a surrogate pair`,
      });
    }
    if (mark.type === 'link' && safeHref(mark.href) === null) {
      problems.push({
        path: ['marks', index, 'href'],
        message: `expected an absolute http(s) URL or a path starting with "/", without spaces, control characters or backslashes, got ${JSON.stringify(mark.href.slice(0, 100))}`,
      });
    }
  });
  for (let i = 0; i < marks.length; i += 1) {
    for (let j = i + 1; j < marks.length; j += 1) {
      const a = marks[i]!;
      const b = marks[j]!;
      const apart = a.end <= b.start || b.end <= a.start;
      if (apart) continue;
      const nested = (a.start <= b.start && b.end <= a.end) || (b.start <= a.start && a.end <= b.end);
      if (!nested || a.type === b.type) {
        problems.push({
          path: ['marks', j],
          message: `expected marks that nest or stay apart${a.type === b.type ? ` (two ${a.type} marks never overlap)` : ''}: ${b.type} ${b.start}–${b.end} overlaps marks[${i}], ${a.type} ${a.start}–${a.end}`,
        });
      }
    }
  }
  return problems;
}

// Equal spans nest in this order: a link outermost, then strong, then emphasis.
const RANK = { link: 0, strong: 1, emphasis: 2 } as const;
const OPEN = { strong: '<strong>', emphasis: '<em>' } as const;
const CLOSE = { link: '</a>', strong: '</strong>', emphasis: '</em>' } as const;

/**
 * The text as HTML: every character escaped by `escapeHtml`, and only `<a href rel="noopener">`,
 * `<em>` and `<strong>` from its marks; no enclosing element. The one rendering GraphQL's `html`
 * fields and the gateway's pages share. Marks are expected valid (`markProblems`); a link whose href
 * is not safe is printed as its text.
 */
export function richTextHtml(rich: RichText, publicUrl: string): string {
  const { text } = rich;
  const marks = [...(rich.marks ?? [])].sort(
    (a, b) => a.start - b.start || b.end - a.end || RANK[a.type] - RANK[b.type],
  );
  let html = '';
  let at = 0;
  const open: { end: number; close: string }[] = [];
  const emitTo = (offset: number) => {
    if (offset > at) html += escapeHtml(text.slice(at, offset));
    at = Math.max(at, offset);
  };
  const closeUpTo = (offset: number) => {
    while (open.length > 0 && open.at(-1)!.end <= offset) {
      const mark = open.pop()!;
      emitTo(mark.end);
      html += mark.close;
    }
  };
  for (const mark of marks) {
    closeUpTo(mark.start);
    emitTo(mark.start);
    if (mark.type === 'link') {
      const href = safeHref(mark.href);
      if (href === null) continue;
      html += `<a href="${escapeHtml(absoluteHref(href, publicUrl))}" rel="noopener">`;
    } else {
      html += OPEN[mark.type];
    }
    open.push({ end: Math.min(mark.end, text.length), close: CLOSE[mark.type] });
  }
  closeUpTo(Number.POSITIVE_INFINITY);
  emitTo(text.length);
  return html;
}
