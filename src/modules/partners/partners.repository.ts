import { sql, type Kysely } from 'kysely';
import type { Database, PartnerRow } from '../../db/database.ts';

export interface NewPartner {
  readonly name: string;
  readonly keyPrefix: string;
  readonly keyHash: string;
  readonly origins: readonly string[];
  readonly scopes: readonly string[];
  readonly rateLimitPerMinute: number | null;
  readonly costBudget: number | null;
}

export function insertPartner(db: Kysely<Database>, partner: NewPartner): Promise<PartnerRow> {
  return db
    .insertInto('partners')
    .values({
      name: partner.name,
      key_prefix: partner.keyPrefix,
      key_hash: partner.keyHash,
      origins: [...partner.origins],
      scopes: [...partner.scopes],
      rate_limit_per_minute: partner.rateLimitPerMinute,
      cost_budget: partner.costBudget,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Inserts, or gives the partner of that name this key and these rights, live again. */
export function upsertPartnerByName(db: Kysely<Database>, partner: NewPartner): Promise<PartnerRow> {
  return db
    .insertInto('partners')
    .values({
      name: partner.name,
      key_prefix: partner.keyPrefix,
      key_hash: partner.keyHash,
      origins: [...partner.origins],
      scopes: [...partner.scopes],
      rate_limit_per_minute: partner.rateLimitPerMinute,
      cost_budget: partner.costBudget,
    })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({
        key_prefix: partner.keyPrefix,
        key_hash: partner.keyHash,
        scopes: [...partner.scopes],
        key_created_at: sql`now()`,
        revoked_at: null,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The partner holding the key with this prefix, revoked or not (the caller decides). */
export function findPartnerByKeyPrefix(
  db: Kysely<Database>,
  prefix: string,
): Promise<PartnerRow | undefined> {
  return db.selectFrom('partners').selectAll().where('key_prefix', '=', prefix).executeTakeFirst();
}

export function findPartnerById(db: Kysely<Database>, id: number): Promise<PartnerRow | undefined> {
  return db.selectFrom('partners').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findPartnerByName(db: Kysely<Database>, name: string): Promise<PartnerRow | undefined> {
  return db.selectFrom('partners').selectAll().where('name', '=', name).executeTakeFirst();
}

export function listPartners(db: Kysely<Database>): Promise<PartnerRow[]> {
  return db.selectFrom('partners').selectAll().orderBy('id').execute();
}

/** Whether any partner whose key is live lists this origin (CORS preflights carry no key). */
export async function originBelongsToActivePartner(db: Kysely<Database>, origin: string): Promise<boolean> {
  const row = await db
    .selectFrom('partners')
    .select('id')
    .where('revoked_at', 'is', null)
    .where(sql<boolean>`${origin} = any(origins)`)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Revokes at once; returns the row, or undefined when there is none or it was already revoked. */
export function revokePartner(db: Kysely<Database>, id: number): Promise<PartnerRow | undefined> {
  return db
    .updateTable('partners')
    .set({ revoked_at: sql`now()` })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/** Replaces the key of a live partner: the old key stops working at once. */
export function replacePartnerKey(
  db: Kysely<Database>,
  id: number,
  key: { readonly prefix: string; readonly hash: string },
): Promise<PartnerRow | undefined> {
  return db
    .updateTable('partners')
    .set({ key_prefix: key.prefix, key_hash: key.hash, key_created_at: sql`now()` })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/** The key prefix and revocation of these partners, for connections that hold their keys open. */
export function findPartnerKeys(
  db: Kysely<Database>,
  ids: readonly number[],
): Promise<Pick<PartnerRow, 'id' | 'key_prefix' | 'revoked_at'>[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('partners')
    .select(['id', 'key_prefix', 'revoked_at'])
    .where('id', 'in', [...ids])
    .execute();
}
