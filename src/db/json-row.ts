import type { Selectable } from 'kysely';
import type { Database } from './database.ts';

/**
 * Timestamp columns of the tables whose rows a query may carry as JSON (`to_json(row)`, to prime a
 * child loader from its parent's statement). pg and PGlite hand these columns over as `Date`; JSON
 * brings them as ISO strings. Every other column already matches: integers are JSON numbers, text
 * arrays JSON arrays, `jsonb` the same parsed value.
 */
const TIMESTAMP_COLUMNS = {
  sections: ['created_at', 'updated_at'],
  tags: ['created_at', 'updated_at'],
  people: ['created_at', 'updated_at'],
  organizations: ['created_at', 'updated_at'],
  images: [],
  articles: ['published_at', 'updated_at', 'created_at', 'listed_at', 'taken_down_at'],
  quotes: ['listed_at'],
  related_links: [],
} as const satisfies { readonly [T in keyof Database]?: readonly (keyof Database[T] & string)[] };

export type JsonRowTable = keyof typeof TIMESTAMP_COLUMNS;

/** A `to_json` row of `table` as the plain query returns it: equal, field by field, to that row. */
export function fromJsonRow<T extends JsonRowTable>(table: T, json: unknown): Selectable<Database[T]> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error(
      `Expected a JSON object for a row of ${table}, got ${json === null ? 'null' : typeof json}`,
    );
  }
  const row: Record<string, unknown> = { ...json };
  for (const column of TIMESTAMP_COLUMNS[table] as readonly string[]) {
    const value = row[column];
    if (typeof value === 'string') row[column] = new Date(value);
  }
  return row as Selectable<Database[T]>;
}

/** `fromJsonRow` for a nullable JSON value (a to-one relation that may be absent). */
export function fromJsonRowOrNull<T extends JsonRowTable>(
  table: T,
  json: unknown,
): Selectable<Database[T]> | null {
  return json === null || json === undefined ? null : fromJsonRow(table, json);
}
