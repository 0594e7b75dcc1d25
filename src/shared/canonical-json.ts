/**
 * JSON with every object's keys sorted (by UTF-16 code units, as RFC 8785 §3.2.3 orders them), so
 * `{"a":1,"b":2}` and `{"b":2,"a":1}` give the same text: one value, one key, one hash.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
