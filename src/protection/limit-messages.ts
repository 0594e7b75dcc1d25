import { Lexer, Source, TokenKind, type GraphQLFormattedError } from 'graphql';
import { LIMIT_CODES, type LimitCode } from './query-limits.ts';

const limitCodes: ReadonlySet<string> = new Set(LIMIT_CODES);
// graphql-js 16 spells it "more that".
const TOO_MANY_TOKENS = /^Syntax Error: Document contains more tha[nt] (\d+) tokens\. Parsing aborted\.$/;
/** Apollo's own client errors that carry no code (APQ protocol). */
const APOLLO_BAD_REQUESTS = new Set([
  'provided sha does not match query',
  'Unsupported persisted query version',
]);
const TOO_MANY_ERRORS = 'Too many validation errors, error limit reached. Validation aborted.';

function countTokens(body: string): number {
  const lexer = new Lexer(new Source(body));
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) count += 1;
  } catch {
    // Counted up to the first character that is not GraphQL.
  }
  return count;
}

function limited(formatted: GraphQLFormattedError, code: LimitCode, message: string): GraphQLFormattedError {
  return {
    message,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    extensions: { code },
  };
}

/**
 * Gives limit errors their own code and a message naming the limit and the value: graphql-js and
 * Apollo report some of them in generic terms (a parse failure, a validation failure).
 */
export function describeLimitError(
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError | undefined {
  // Duck-typed, not `instanceof`: Apollo may load another copy of graphql-js (CJS vs ESM).
  const cause = (error as { originalError?: { extensions?: Record<string, unknown> } } | undefined)
    ?.originalError;
  const ownCode = cause?.extensions?.['code'];
  if (typeof ownCode === 'string' && limitCodes.has(ownCode) && ownCode !== formatted.extensions?.['code']) {
    return limited(formatted, ownCode as LimitCode, formatted.message);
  }
  const tokens = TOO_MANY_TOKENS.exec(formatted.message);
  if (tokens) {
    const source = (error as { source?: { body?: unknown } } | undefined)?.source?.body;
    const counted = typeof source === 'string' ? String(countTokens(source)) : `more than ${tokens[1]}`;
    return limited(
      formatted,
      'TOO_MANY_TOKENS',
      `The document has ${counted} tokens; the limit is ${tokens[1]} (BYLINE_MAX_TOKENS).`,
    );
  }
  if (APOLLO_BAD_REQUESTS.has(formatted.message)) {
    return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
  }
  if (formatted.message === TOO_MANY_ERRORS) {
    return limited(
      formatted,
      'TOO_MANY_VALIDATION_ERRORS',
      'Validation stopped: more errors than the limit (BYLINE_MAX_VALIDATION_ERRORS) allows reporting; fix the ones above first.',
    );
  }
  return undefined;
}
