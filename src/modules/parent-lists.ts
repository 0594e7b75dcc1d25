import { sql, type Expression, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/database.ts';

/**
 * Lists of many parents in one statement (`Section.articles` of every section listed): the batch's
 * parent ids become a relation `parent (id)`, and each is joined laterally to the very query one
 * parent runs, with `PARENT_ID` where that query names its parent, so rows, order and cursors agree.
 */
export const PARENT_ID = sql<number>`parent.id`;

const parents = (ids: readonly number[]) => sql`unnest(${[...ids]}::integer[]) as parent (id)`;

/** Each parent's rows of `perParent` (`page.*`), carrying its `parent_id`, in `order` within a parent. */
export async function listOfParents<R>(
  db: Kysely<Database>,
  parentIds: readonly number[],
  perParent: Expression<unknown>,
  order: RawBuilder<unknown>,
): Promise<(R & { readonly parent_id: number })[]> {
  const { rows } = await sql<R & { readonly parent_id: number }>`
    select parent.id as parent_id, page.* from ${parents(parentIds)}
    cross join lateral ${perParent} as page
    order by parent.id, ${order}`.execute(db);
  return rows;
}

/** Each parent's count of `count` (a query selecting one `count` column). */
export async function countOfParents(
  db: Kysely<Database>,
  parentIds: readonly number[],
  count: Expression<unknown>,
): Promise<{ readonly parent_id: number; readonly count: number }[]> {
  const { rows } = await sql<{ readonly parent_id: number; readonly count: number }>`
    select parent.id as parent_id, ${count} as count from ${parents(parentIds)}`.execute(db);
  return rows.map((row) => ({ parent_id: row.parent_id, count: Number(row.count) }));
}
