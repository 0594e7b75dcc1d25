import type { PartnerRow } from '../../db/database.ts';

/** What `Partner` resolves from: its row (the key hash never leaves it: no field reads it). */
export type PartnerParent = PartnerRow;

/** What `PartnerKey` resolves from. */
export interface PartnerKeyParent {
  readonly partner: PartnerRow;
  readonly key: string;
}
