import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';

export function findImagesByIds(db: Kysely<Database>, ids: readonly number[]) {
  return db.selectFrom('images').selectAll().where('id', 'in', ids).execute();
}
