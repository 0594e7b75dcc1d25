import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ArticleDocument } from '../../src/ingest/article-document.ts';
import { importPage, type ImportReport } from '../../src/import/import-page.ts';

/** The hand-labelled development set of `byline import` (tests/import-corpus/README.md). */
export const corpusDir = path.join(import.meta.dirname, '..', 'import-corpus');

export interface LabelledQuote {
  readonly text: string;
  /** The speaker's full name, or null where no speaker may be named (expect "flagged"). */
  readonly speaker: string | null;
  readonly expect?: 'flagged';
}

export interface LabelledPage {
  readonly id: string;
  readonly file: string;
  readonly source: string;
  readonly houseStyle: string;
  readonly licence: string;
  readonly quotes: readonly LabelledQuote[];
}

export function labelledPages(): LabelledPage[] {
  return readdirSync(corpusDir)
    .filter((name) => name.endsWith('.labels.json'))
    .sort()
    .map((name) => {
      const id = name.replace(/\.labels\.json$/, '');
      const labels = JSON.parse(readFileSync(path.join(corpusDir, name), 'utf8')) as Omit<
        LabelledPage,
        'id' | 'file'
      >;
      const file = readdirSync(corpusDir).find(
        (other) => other.startsWith(`${id}.`) && !other.endsWith('.labels.json'),
      );
      if (!file) throw new Error(`no page file for labels ${name}`);
      return { id, file: path.join(corpusDir, file), ...labels };
    });
}

function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter(Boolean);
}

/** The same quotation: at least 90% of the words of the longer text shared, in any split or joining. */
export function sameQuote(a: string, b: string): boolean {
  const left = words(a);
  const right = words(b);
  const counts = new Map<string, number>();
  for (const word of left) counts.set(word, (counts.get(word) ?? 0) + 1);
  let common = 0;
  for (const word of right) {
    const count = counts.get(word) ?? 0;
    if (count > 0) {
      common += 1;
      counts.set(word, count - 1);
    }
  }
  return common / Math.max(left.length, right.length, 1) >= 0.9;
}

export interface PageScore {
  readonly id: string;
  readonly houseStyle: string;
  /** Quotes the document carries (attributed). */
  readonly emitted: number;
  /** Of those, how many are labelled quotations. */
  readonly correctQuotes: number;
  /** Of those, how many have the labelled speaker. */
  readonly correctSpeakers: number;
  /** Labelled quotations with a nameable speaker. */
  readonly attributable: number;
  /** Of those, how many the document carries. */
  readonly found: number;
  /** Labelled quotations that must be held for review, and how many were. */
  readonly mustFlag: number;
  readonly flagged: number;
  readonly mistakes: string[];
}

function speakerName(
  document: ArticleDocument,
  speaker: NonNullable<ArticleDocument['quotes']>[number]['speaker'],
): string {
  if ('person' in speaker)
    return document.people?.find((p) => p.slug === speaker.person)?.name ?? speaker.person;
  if ('organization' in speaker) {
    return document.organizations?.find((o) => o.slug === speaker.organization)?.name ?? speaker.organization;
  }
  return speaker.name;
}

export function scorePage(
  page: LabelledPage,
): PageScore & { document?: ArticleDocument; report?: ImportReport } {
  const result = importPage(readFileSync(page.file), { name: page.id });
  const mistakes: string[] = [];
  if (!result.ok) {
    mistakes.push(`import failed: ${result.error}`);
    const attributable = page.quotes.filter((q) => q.expect !== 'flagged').length;
    return {
      id: page.id,
      houseStyle: page.houseStyle,
      emitted: 0,
      correctQuotes: 0,
      correctSpeakers: 0,
      attributable,
      found: 0,
      mustFlag: 0,
      flagged: 0,
      mistakes,
    };
  }
  const { document, report } = result;
  const emitted = (document.quotes ?? []).map((quote) => ({
    text: quote.text,
    speaker: speakerName(document, quote.speaker),
  }));
  let correctQuotes = 0;
  let correctSpeakers = 0;
  for (const quote of emitted) {
    const label = page.quotes.find((q) => sameQuote(q.text, quote.text));
    if (!label) {
      mistakes.push(`not a labelled quotation: “${quote.text.slice(0, 80)}” (${quote.speaker})`);
      continue;
    }
    correctQuotes += 1;
    if (label.speaker !== null && label.speaker.toLowerCase() === quote.speaker.toLowerCase())
      correctSpeakers += 1;
    else
      mistakes.push(
        `wrong speaker for “${quote.text.slice(0, 60)}”: ${quote.speaker}, labelled ${label.speaker ?? 'for review'}`,
      );
  }
  const attributable = page.quotes.filter((q) => q.expect !== 'flagged');
  const found = attributable.filter((label) => emitted.some((quote) => sameQuote(label.text, quote.text)));
  for (const label of attributable) {
    if (!found.includes(label)) mistakes.push(`missed: “${label.text.slice(0, 80)}” (${label.speaker})`);
  }
  const mustFlag = page.quotes.filter((q) => q.expect === 'flagged');
  const flagged = mustFlag.filter((label) =>
    report.flagged.some((quote) => sameQuote(label.text, quote.text)),
  );
  for (const label of mustFlag) {
    if (!flagged.includes(label)) mistakes.push(`not held for review: “${label.text.slice(0, 80)}”`);
  }
  return {
    id: page.id,
    houseStyle: page.houseStyle,
    emitted: emitted.length,
    correctQuotes,
    correctSpeakers,
    attributable: attributable.length,
    found: found.length,
    mustFlag: mustFlag.length,
    flagged: flagged.length,
    mistakes,
    document,
    report,
  };
}

export interface CorpusScore {
  readonly pages: PageScore[];
  readonly precision: number;
  readonly recall: number;
  readonly speakerAccuracy: number;
}

export function scoreCorpus(): CorpusScore {
  const pages = labelledPages().map(scorePage);
  const sum = (field: keyof PageScore) => pages.reduce((total, page) => total + (page[field] as number), 0);
  return {
    pages,
    precision: sum('correctQuotes') / Math.max(1, sum('emitted')),
    recall: sum('found') / Math.max(1, sum('attributable')),
    speakerAccuracy: sum('correctSpeakers') / Math.max(1, sum('correctQuotes')),
  };
}
