import { createHash } from 'node:crypto';
import type pg from 'pg';

/** "cached plan must not change result type" (https://www.postgresql.org/docs/15/sql-prepare.html#SQL-PREPARE-NOTES). */
export const STALE_PLAN_CODE = '0A000';

/**
 * Named (prepared) statements for the SQL Kysely sends: Postgres parses and plans a named statement
 * once per connection and then only binds and executes it
 * (https://www.postgresql.org/docs/15/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY). Kysely's pg driver
 * sends `client.query(text, values)`; this gives each distinct text a stable name.
 *
 * Only the first `maxStatements` distinct texts get names: statements are kept per connection until it
 * closes, so texts that vary without bound (`in ($1, …, $n)` lists of every length) must not grow the
 * server's memory forever; later texts run unnamed, exactly as before.
 */
export function prepareStatements(pool: pg.Pool, maxStatements = 500): void {
  const names = new Map<string, string>();
  // A table a named statement reads changed shape (a column added by a migration while we serve):
  // Postgres refuses that statement on every connection that prepared it. A new generation of names
  // has every connection prepare afresh, so only the statements already sent fail.
  let generation = 0;
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined && names.size < maxStatements) {
      name = `byline_${generation}_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      names.set(text, name);
    }
    return name;
  };
  const staleShape = (error: unknown) => {
    if ((error as { code?: unknown }).code === STALE_PLAN_CODE) {
      generation += 1;
      names.clear();
    }
    throw error;
  };
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const [text, values] = args;
      // Only the (text, values[]) form Kysely uses; query configs, callbacks and streams pass through.
      if (typeof text === 'string' && Array.isArray(values) && args.length === 2) {
        const name = nameOf(text);
        if (name !== undefined) return (query({ name, text, values }) as Promise<unknown>).catch(staleShape);
      }
      return query(...args);
    };
  });
}
