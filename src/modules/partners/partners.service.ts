import type { Kysely } from 'kysely';
import type { Database, PartnerRow } from '../../db/database.ts';
import type { Scope, Viewer } from '../../shared/viewer.ts';
import { generatePartnerKey } from './partner-key.ts';
import * as repository from './partners.repository.ts';

/** Every scope a key may hold; none is given by default, so `editor` and `admin` only when asked for. */
export const partnerScopes: readonly Scope[] = ['preview', 'body', 'developer', 'editor', 'admin'];

export class PartnerInputError extends Error {
  override name = 'PartnerInputError';
}

export interface PartnerInput {
  readonly name: string;
  readonly origins?: readonly string[];
  readonly scopes?: readonly string[];
  readonly rateLimitPerMinute?: number | null;
  readonly costBudget?: number | null;
}

/** An origin as browsers send it in `Origin`: scheme, host and port only, no path. */
export function normalizeOrigin(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PartnerInputError(
      `origin: expected an http(s) origin like "https://partner.example", got "${raw}"`,
    );
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== raw.replace(/\/$/, '')) {
    throw new PartnerInputError(
      `origin: expected an http(s) origin with no path, like "https://partner.example", got "${raw}"`,
    );
  }
  return url.origin;
}

function checkScopes(scopes: readonly string[]): Scope[] {
  for (const scope of scopes) {
    if (!(partnerScopes as readonly string[]).includes(scope)) {
      throw new PartnerInputError(`scope: expected one of ${partnerScopes.join(', ')}, got "${scope}"`);
    }
  }
  return [...new Set(scopes)] as Scope[];
}

function checkPositive(what: string, value: number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isInteger(value) || value < 1 || value > 1_000_000_000) {
    throw new PartnerInputError(`${what}: expected a positive integer, got ${value}`);
  }
  return value;
}

/** Creates a partner; returns the row and its key, which exists in clear only in this return value. */
export async function createPartner(
  db: Kysely<Database>,
  input: PartnerInput,
): Promise<{ partner: PartnerRow; key: string }> {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 200) {
    throw new PartnerInputError(`name: expected 1 to 200 characters, got ${JSON.stringify(input.name)}`);
  }
  if (await repository.findPartnerByName(db, name)) {
    throw new PartnerInputError(`name: a partner named "${name}" already exists`);
  }
  const origins = [...new Set((input.origins ?? []).map(normalizeOrigin))];
  const scopes = checkScopes(input.scopes ?? []);
  const key = generatePartnerKey();
  const partner = await repository.insertPartner(db, {
    name,
    keyPrefix: key.prefix,
    keyHash: key.hash,
    origins,
    scopes,
    rateLimitPerMinute: checkPositive('rate limit', input.rateLimitPerMinute),
    costBudget: checkPositive('cost budget', input.costBudget),
  });
  return { partner, key: key.key };
}

/** Finds a partner by numeric id or by name. */
export async function findPartner(db: Kysely<Database>, idOrName: string): Promise<PartnerRow | undefined> {
  if (/^\d{1,9}$/.test(idOrName)) {
    const byId = await repository.findPartnerById(db, Number(idOrName));
    if (byId) return byId;
  }
  return repository.findPartnerByName(db, idOrName);
}

/** Gives a live partner a new key; the old one fails from the next request on. */
export async function rotatePartnerKey(
  db: Kysely<Database>,
  id: number,
): Promise<{ partner: PartnerRow; key: string } | undefined> {
  const key = generatePartnerKey();
  const partner = await repository.replacePartnerKey(db, id, key);
  return partner ? { partner, key: key.key } : undefined;
}

/** The partner a gateway on embedded PGlite keeps for the CLI on its machine (src/shared/server-address-file.ts). */
export const LOCAL_CLI_PARTNER = 'byline cli (this machine)';

/**
 * Gives the local CLI partner a fresh key with every scope (creating it, or reviving it after a
 * restart), and returns the key: it exists in clear only in the server's address file.
 */
export async function issueLocalCliKey(db: Kysely<Database>): Promise<string> {
  const key = generatePartnerKey();
  await repository.upsertPartnerByName(db, {
    name: LOCAL_CLI_PARTNER,
    keyPrefix: key.prefix,
    keyHash: key.hash,
    origins: [],
    scopes: partnerScopes,
    rateLimitPerMinute: null,
    costBudget: null,
  });
  return key.key;
}

/** The viewer a live partner's key stands for. */
export function viewerForPartner(partner: PartnerRow): Viewer {
  return Object.freeze({
    kind: 'partner',
    partnerId: partner.id,
    partnerName: partner.name,
    scopes: new Set(
      partner.scopes.filter((s): s is Scope => (partnerScopes as readonly string[]).includes(s)),
    ),
    origins: Object.freeze([...partner.origins]),
    rateLimitPerMinute: partner.rate_limit_per_minute,
    costBudget: partner.cost_budget,
  });
}
