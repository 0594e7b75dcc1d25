import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describePostgres } from './helpers/engines.ts';
import { useDatabase } from './helpers/use-gateway.ts';

describePostgres('prepared statements (BYLINE_PREPARED_STATEMENTS)', (postgres) => {
  const fixture = useDatabase(postgres, { database: { poolSize: 1, preparedStatements: true } });

  const prepared = async () =>
    (
      await sql<{
        name: string;
        statement: string;
      }>`select name, statement from pg_prepared_statements where name like 'byline_%'`.execute(fixture.db)
    ).rows;

  it('names the statements Kysely sends, once per text, and answers as before', async () => {
    const { db } = fixture;
    const first = await db.selectFrom('sections').select('id').where('slug', '=', 'world').execute();
    const second = await db.selectFrom('sections').select('id').where('slug', '=', 'nowhere').execute();
    expect(first).toEqual([]);
    expect(second).toEqual([]);
    const named = (await prepared()).filter((row) => row.statement.includes('from "sections"'));
    // One name for the text, however often it runs with other values.
    expect(named).toHaveLength(1);
    expect(named[0]!.name).toMatch(/^byline_\d+_[0-9a-f]{20}$/);
  });

  it('plans each execution for its own values (no generic plans)', async () => {
    const { rows } = await sql<{
      plan_cache_mode: string;
    }>`show plan_cache_mode`.execute(fixture.db);
    expect(rows[0]!.plan_cache_mode).toBe('force_custom_plan');
  });

  it('runs statements unnamed when preparedStatements is off', async () => {
    const plain = await postgres.open({ poolSize: 1, preparedStatements: false });
    try {
      await plain.handle.db.selectFrom('tags').select('id').execute();
      const { rows } = await sql<{
        count: number;
      }>`select count(*)::int as count from pg_prepared_statements`.execute(plain.handle.db);
      expect(rows[0]!.count).toBe(0);
    } finally {
      await plain.drop();
    }
  });
});
