import { createHash } from 'node:crypto';
import type pg from 'pg';

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
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined && names.size < maxStatements) {
      name = `byline_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      names.set(text, name);
    }
    return name;
  };
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const [text, values] = args;
      // Only the (text, values[]) form Kysely uses; query configs, callbacks and streams pass through.
      if (typeof text === 'string' && Array.isArray(values) && args.length === 2) {
        const name = nameOf(text);
        if (name !== undefined) return query({ name, text, values });
      }
      return query(...args);
    };
  });
}
