/**
 * A paragraph as the importer keeps it: plain text plus typed inline marks (links, emphasis), by
 * character offsets into `text`. Today's content format stores a paragraph as a plain string, so
 * the document builder emits `text` only and records links as related links; the marks are kept so
 * that rich paragraphs can be emitted from the same extraction later (docs/import.md).
 */
export type InlineMark =
  | { readonly type: 'link'; readonly start: number; readonly end: number; readonly href: string }
  | { readonly type: 'emphasis' | 'strong'; readonly start: number; readonly end: number };

export interface InlineText {
  readonly text: string;
  readonly marks: readonly InlineMark[];
}

/** Collapses runs of whitespace to one space and trims, moving mark offsets with the text. */
export function normalizeInlineText(raw: string, marks: readonly InlineMark[]): InlineText {
  if (marks.length === 0) return { text: raw.replace(/\s+/g, ' ').trim(), marks };
  // Offsets of the raw text mapped to the normalized text, one entry per raw character (+ the end).
  const map: number[] = [];
  let text = '';
  let pendingSpace = false;
  for (const char of raw) {
    const units = char.length;
    if (/\s/.test(char)) {
      pendingSpace = text.length > 0;
      for (let i = 0; i < units; i += 1) map.push(text.length);
      continue;
    }
    if (pendingSpace) {
      text += ' ';
      pendingSpace = false;
    }
    for (let i = 0; i < units; i += 1) map.push(text.length);
    text += char;
  }
  map.push(text.length);
  const moved = marks
    .map((mark) => ({ ...mark, start: map[mark.start] ?? text.length, end: map[mark.end] ?? text.length }))
    .filter((mark) => mark.end > mark.start);
  return { text, marks: moved };
}

export function plainText(text: string): InlineText {
  return normalizeInlineText(text, []);
}
