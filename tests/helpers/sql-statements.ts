import type { GraphQLResponse } from './gateway.ts';

/** The SQL statements a response reports it ran (`extensions.sql.statements`, on outside production). */
export function statementsOf(response: Pick<GraphQLResponse<unknown>, 'body'>): number {
  const sql = response.body.extensions?.['sql'] as { statements: number } | undefined;
  if (!sql) throw new Error(`expected extensions.sql in the response, got ${JSON.stringify(response.body)}`);
  return sql.statements;
}
