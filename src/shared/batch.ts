/**
 * DataLoader batch functions must return results in key order, one per key
 * (https://github.com/graphql/dataloader#batch-function). These two helpers do that from rows
 * fetched in any order.
 */

export function oneInKeyOrder<K, R>(
  keys: readonly K[],
  rows: readonly R[],
  keyOf: (row: R) => K,
): (R | null)[] {
  const byKey = new Map<K, R>();
  for (const row of rows) byKey.set(keyOf(row), row);
  return keys.map((key) => byKey.get(key) ?? null);
}

export function manyInKeyOrder<K, R>(keys: readonly K[], rows: readonly R[], keyOf: (row: R) => K): R[][] {
  const byKey = new Map<K, R[]>(keys.map((key) => [key, []]));
  for (const row of rows) byKey.get(keyOf(row))?.push(row);
  return keys.map((key) => byKey.get(key) ?? []);
}

/** Where a key names its parent: which filter field, the id there, and the key without it. */
export interface KeyParent<K, F extends string> {
  readonly field: F;
  readonly id: number;
  /** The key with the parent removed: keys with equal `rest` differ only by their parent. */
  readonly rest: K;
}

/**
 * A batch function for lists under a parent (`Section.articles` of every section in a list): keys
 * that differ only by their parent id run as one statement (`many`, results in `ids` order), a key
 * with no such sibling in the batch, or without a parent, as it always did (`one`).
 */
export function batchAcrossParents<K, F extends string, R>(options: {
  readonly parentOf: (key: K) => KeyParent<K, F> | undefined;
  readonly one: (key: K) => Promise<R>;
  readonly many: (rest: K, field: F, ids: readonly number[]) => Promise<R[]>;
}): (keys: readonly K[]) => Promise<R[]> {
  return async (keys) => {
    const results = new Array<R>(keys.length);
    const alone: number[] = [];
    const groups = new Map<string, { rest: K; field: F; indexes: number[]; ids: number[] }>();
    keys.forEach((key, index) => {
      const parent = options.parentOf(key);
      if (!parent) return alone.push(index);
      const groupKey = JSON.stringify([parent.field, parent.rest]);
      const group = groups.get(groupKey) ?? { rest: parent.rest, field: parent.field, indexes: [], ids: [] };
      groups.set(groupKey, group);
      group.indexes.push(index);
      group.ids.push(parent.id);
    });
    for (const group of groups.values()) if (group.indexes.length === 1) alone.push(group.indexes[0]!);
    await Promise.all([
      ...alone.map(async (index) => {
        results[index] = await options.one(keys[index]!);
      }),
      ...[...groups.values()]
        .filter((group) => group.indexes.length > 1)
        .map(async (group) => {
          const rows = await options.many(group.rest, group.field, group.ids);
          group.indexes.forEach((index, at) => (results[index] = rows[at]!));
        }),
    ]);
    return results;
  };
}
