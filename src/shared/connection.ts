import { badUserInput, describeValue } from './errors.ts';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface EdgeParent<T> {
  readonly cursor: string;
  readonly node: T;
}

/** What a connection's resolvers receive; `totalCount` runs its query only when asked for. */
export interface ConnectionParent<T> {
  readonly edges: readonly EdgeParent<T>[];
  readonly nodes: readonly T[];
  readonly pageInfo: {
    readonly hasNextPage: boolean;
    readonly hasPreviousPage: boolean;
    readonly startCursor: string | null;
    readonly endCursor: string | null;
  };
  readonly totalCount: () => Promise<number>;
}

/** Validated `first`: 0 to 100. More is an error, never a silent clamp. */
export function pageSize(first: number | null | undefined, argument = 'first'): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw badUserInput(
      `Argument "${argument}" must be between 0 and ${MAX_PAGE_SIZE}, got ${describeValue(first)}`,
      argument,
    );
  }
  return first;
}

type CursorValue = string | number;

/**
 * Keyset cursor: the sort key of the last row seen, tagged with the list's ordering so a cursor from
 * another list is refused rather than silently misread.
 */
export function encodeCursor(ordering: string, key: readonly CursorValue[]): string {
  return Buffer.from(JSON.stringify([ordering, ...key])).toString('base64url');
}

/**
 * Decodes a cursor for `ordering` whose key has the given shape, or throws `BAD_USER_INPUT`.
 * `shape` lists each key part's kind: `date` (ISO string), `int`, `number` or `string`.
 */
export function decodeCursor<const S extends readonly CursorPart[]>(
  cursor: string,
  ordering: string,
  shape: S,
  argument = 'after',
): { [K in keyof S]: CursorPartType<S[K]> } {
  const invalid = () =>
    badUserInput(
      `Argument "${argument}" is not a valid cursor for this list: expected a cursor returned by it, got ${describeValue(cursor)}`,
      argument,
    );
  if (cursor.length > 500 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(decoded) || decoded.length !== shape.length + 1 || decoded[0] !== ordering)
    throw invalid();
  const values = decoded.slice(1);
  values.forEach((value: unknown, index) => {
    if (!matches(shape[index]!, value)) throw invalid();
  });
  return values as { [K in keyof S]: CursorPartType<S[K]> };
}

export type CursorPart = 'date' | 'int' | 'number' | 'string';
type CursorPartType<P> = P extends 'int' | 'number' ? number : string;

function matches(part: CursorPart, value: unknown): boolean {
  switch (part) {
    case 'int':
      return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 2_147_483_647;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string' && value.length <= 300;
    case 'date':
      return (
        typeof value === 'string' &&
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value) &&
        !Number.isNaN(Date.parse(value))
      );
  }
}

/**
 * Builds a connection from one page of rows fetched with `limit + 1` (the extra row only says
 * whether another page follows).
 */
export function toConnection<T>(
  rows: readonly T[],
  limit: number,
  cursorOf: (row: T) => string,
  options: { readonly after: string | null | undefined; readonly totalCount: () => Promise<number> },
): ConnectionParent<T> {
  const page = rows.slice(0, limit);
  const edges = page.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    nodes: page,
    pageInfo: {
      hasNextPage: rows.length > limit,
      hasPreviousPage: options.after !== null && options.after !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: options.totalCount,
  };
}
