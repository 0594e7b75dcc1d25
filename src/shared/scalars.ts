import { GraphQLScalarType, Kind } from 'graphql';

const ISO_DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:\d\d)$/;

function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value) || Number.isNaN(Date.parse(value))) {
    throw new TypeError(
      `DateTime expects an ISO 8601 date-time with offset such as "2024-06-22T00:00:00Z", got ${JSON.stringify(value)}`,
    );
  }
  return new Date(value);
}

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant as an ISO 8601 string with offset.',
  serialize(value) {
    if (value instanceof Date) return value.toISOString();
    return parseDateTime(value).toISOString();
  },
  parseValue: parseDateTime,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new TypeError(`DateTime expects a string, got a ${ast.kind} literal`);
    return parseDateTime(ast.value);
  },
});

function parseUrl(value: unknown): string {
  if (typeof value === 'string' && value.length <= 2048 && URL.canParse(value)) {
    const { protocol } = new URL(value);
    if (protocol === 'http:' || protocol === 'https:') return value;
  }
  throw new TypeError(
    `URL expects an absolute http or https URL, got ${JSON.stringify(value)?.slice(0, 80)}`,
  );
}

export const URLScalar = new GraphQLScalarType<string, string>({
  name: 'URL',
  description: 'An absolute http or https URL.',
  serialize: (value) => String(value),
  parseValue: parseUrl,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new TypeError(`URL expects a string, got a ${ast.kind} literal`);
    return parseUrl(ast.value);
  },
});

/** Any JSON value, passed through as it is (used for JSON-LD documents). */
export const JSONScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral() {
    throw new TypeError('JSON is an output-only scalar here: it cannot be given as a literal');
  },
});
