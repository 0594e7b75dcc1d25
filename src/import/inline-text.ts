import { safeHref, type TextMark } from '../shared/rich-text.ts';

/**
 * A paragraph as the importer keeps it: plain text plus typed inline marks (links, emphasis,
 * strong) by UTF-16 offsets into `text`, the content format's rich text (src/shared/rich-text.ts).
 */
export type InlineMark = TextMark;

export interface InlineText {
  readonly text: string;
  readonly marks: readonly InlineMark[];
}

/** Collapses runs of whitespace to one space and trims, moving mark offsets with the text. */
export function normalizeInlineText(raw: string, marks: readonly InlineMark[]): InlineText {
  if (marks.length === 0) return { text: raw.replace(/\s+/g, ' ').trim(), marks };
  // Offsets of the raw text mapped to the normalized text, one entry per UTF-16 code unit (+ the end).
  const map = new Array<number>(raw.length + 1);
  let text = '';
  let pendingSpace = false;
  for (let i = 0; i < raw.length; i += 1) {
    const code = raw.charCodeAt(i);
    // The whitespace \s matches: ASCII, NBSP, the Unicode spaces, line/paragraph separators, BOM.
    if (code === 0x20 || (code >= 0x09 && code <= 0x0d) || (code >= 0x80 && /\s/.test(raw[i]!))) {
      pendingSpace = text.length > 0;
      map[i] = text.length;
      continue;
    }
    if (pendingSpace) {
      text += ' ';
      pendingSpace = false;
    }
    map[i] = text.length;
    text += raw[i];
  }
  map[raw.length] = text.length;
  return {
    text,
    marks: wellFormedMarks(marks.map((mark) => ({ ...mark, start: map[mark.start]!, end: map[mark.end]! }))),
  };
}

/**
 * The marks the content format accepts, from marks that came out of a DOM walk: non-empty, a mark
 * inside another of its own type (`<em>a <i>b</i></em>`) folded into it, and the text's trailing
 * spaces outside them. Marks from one tree nest or stay apart already.
 */
function wellFormedMarks(marks: readonly InlineMark[]): InlineMark[] {
  const kept: InlineMark[] = [];
  const sorted = marks
    .filter((mark) => mark.end > mark.start)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  for (const mark of sorted) {
    if (kept.some((other) => other.type === mark.type && other.start < mark.end && mark.start < other.end))
      continue;
    kept.push(mark);
  }
  return kept;
}

export function plainText(text: string): InlineText {
  return normalizeInlineText(text, []);
}

/** A link's href as the content format takes it, or undefined (the importer drops and counts it). */
export function acceptedHref(href: string): string | undefined {
  return safeHref(href) ?? undefined;
}
