import { sql, type RawBuilder } from 'kysely';
import { badUserInput, describeValue } from '../../shared/errors.ts';
import { escapeHtml } from '../../shared/escape-html.ts';
import type { GraphQLContext } from '../context.ts';

/** Longest query accepted, in characters (code points). */
export const MAX_QUERY_LENGTH = 500;

/**
 * How many matches relevance ranks: the newest this many (by listing date) that the viewer may see.
 * Ranking every match of a common word costs a text rank per matching article (a million in a large
 * archive); the newest matches come in listing order from `articles_listed_at_idx`, so the work is
 * bounded whatever the word. The same rule on every engine, so the answers are the same too.
 */
export const SEARCH_CANDIDATES = 200;

/** The one text search configuration of migration 202611270002 (english stemming, accents folded). */
export const TEXT_SEARCH_CONFIG = 'byline_english';

/** The configuration as SQL, as the search indexes are built with it. */
export const textSearchConfig = sql`${sql.lit(TEXT_SEARCH_CONFIG)}::regconfig`;

/** The tsquery of what a reader typed; `websearch_to_tsquery` never raises a syntax error. */
export function tsquery(text: string): RawBuilder<unknown> {
  return sql`websearch_to_tsquery(${textSearchConfig}, ${text})`;
}

/** `translate(text, HEADLINE_INPUT_FROM, HEADLINE_INPUT_TO)` as SQL. */
export function headlineInput(value: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`translate(${value}, ${HEADLINE_INPUT_FROM}, ${HEADLINE_INPUT_TO})`;
}

// Private-use characters mark matches inside ts_headline's output, so the text can be HTML-escaped
// before the marks become `<mark>` tags; the same characters are removed from the text beforehand.
export const START = '\uE000';
export const STOP = '\uE001';
// "<" stands in as another private-use character while ts_headline parses the text: its parser reads
// "<script> …" as an HTML tag and would not mark the words after it (our text is plain, not HTML).
export const LESS_THAN = '\uE002';

/** `translate(text, HEADLINE_INPUT_FROM, HEADLINE_INPUT_TO)`: the text as ts_headline is given it. */
export const HEADLINE_INPUT_FROM = `<${START}${STOP}${LESS_THAN}`;
export const HEADLINE_INPUT_TO = LESS_THAN;
const SELECTORS = `StartSel=${START}, StopSel=${STOP}`;

/** ts_headline options (https://www.postgresql.org/docs/15/textsearch-controls.html#TEXTSEARCH-HEADLINE). */
export const WHOLE_TEXT_HEADLINE = `${SELECTORS}, HighlightAll=true`;
export const FRAGMENTS_HEADLINE = `${SELECTORS}, MaxFragments=2, MaxWords=30, MinWords=12, FragmentDelimiter=" … "`;

/** ts_headline output to HTML: everything escaped, then the sentinels turned into `<mark>` tags. */
export function toHighlightHtml(headline: string): string;
export function toHighlightHtml(headline: string | null): string | null;
export function toHighlightHtml(headline: string | null): string | null {
  if (headline === null) return null;
  return escapeHtml(headline)
    .replaceAll(START, '<mark>')
    .replaceAll(STOP, '</mark>')
    .replaceAll(LESS_THAN, '&lt;');
}

/**
 * Checks a free-text query argument and returns it trimmed. Postgres text cannot hold NUL, so a NUL
 * is refused here rather than failing in the driver.
 */
export function validateSearchText(value: string, argument: string): string {
  const nul = value.indexOf('\u0000');
  if (nul !== -1) {
    throw badUserInput(
      `Argument "${argument}" must not contain NUL characters (U+0000): found one at index ${nul}`,
      argument,
    );
  }
  const trimmed = value.trim();
  if (trimmed === '') {
    throw badUserInput(
      `Argument "${argument}" must not be empty or only whitespace, got ${describeValue(value)}`,
      argument,
    );
  }
  const length = [...trimmed].length;
  if (length > MAX_QUERY_LENGTH) {
    throw badUserInput(
      `Argument "${argument}" is too long: at most ${MAX_QUERY_LENGTH} characters, got ${length}`,
      argument,
    );
  }
  return trimmed;
}

/** Validated search text: trimmed, 1–500 characters, no NUL, at least one word Postgres keeps. */
export async function searchText(context: GraphQLContext, value: string, argument: string): Promise<string> {
  const text = validateSearchText(value, argument);
  if ((await context.loaders.queryTermCount.load(text)) === 0) throw onlyStopWords(text, argument);
  return text;
}

/** The error for a query Postgres reduces to nothing (`numnode(websearch_to_tsquery(…)) = 0`). */
export function onlyStopWords(value: string, argument: string) {
  return badUserInput(
    `Argument "${argument}" has nothing to search for: ${describeValue(value)} holds only stop words (such as "the", "and", "of") or punctuation`,
    argument,
  );
}

// Honorifics a reader may type before a name; names are stored without them.
const HONORIFICS =
  /^(?:(?:dr|mr|mrs|ms|mx|miss|prof|professor|sir|dame|lord|lady|rev|fr|gen|col|maj|capt|lt|sgt|sen|rep|gov|pres|president|judge|justice|hon|amb|ambassador|dott|herr|frau|mme|mlle)\.?\s+)+/iu;

/** A people query without leading honorifics ("Dr. Wilmer Leon" → "Wilmer Leon"). */
export function withoutHonorifics(query: string): string {
  const stripped = query.replace(HONORIFICS, '').trim();
  // "Dr." alone, or a name that is only an honorific-looking word, is looked up as typed.
  return stripped === '' ? query : stripped;
}
