import { EXIT, type RunCommand } from './command.ts';
import { requestServer, ServerRequestError, type ServerTarget } from './server-client.ts';
import { chooseWriteTarget, openWriteDatabase, withoutServerFlag } from './write-target.ts';
import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import type { Database, PartnerRow } from '../db/database.ts';
import {
  createPartner,
  findPartner,
  listPartners,
  PartnerInputError,
  revokePartner,
  type PartnerInput,
  rotatePartnerKey,
} from '../modules/partners/index.ts';
import { partnerUsage } from './partner-usage.ts';

export interface CommandOutput {
  log(line: string): void;
  error(line: string): void;
}

/** What `byline partner` prints of a partner, from a row or from the API. */
export type PartnerSummary = Pick<
  PartnerRow,
  'id' | 'name' | 'key_prefix' | 'scopes' | 'origins' | 'rate_limit_per_minute' | 'cost_budget' | 'revoked_at'
>;

/** What `byline partner` does, on the database directly or through a running server. */
export interface PartnerAdmin {
  create(input: PartnerInput): Promise<{ partner: PartnerSummary; key: string }>;
  list(): Promise<PartnerSummary[]>;
  find(idOrName: string): Promise<PartnerSummary | undefined>;
  revoke(partner: PartnerSummary): Promise<PartnerSummary | undefined>;
  rotate(partner: PartnerSummary): Promise<{ partner: PartnerSummary; key: string } | undefined>;
}

export function databasePartnerAdmin(db: Kysely<Database>): PartnerAdmin {
  return {
    create: (input) => createPartner(db, input),
    list: () => listPartners(db),
    find: (idOrName) => findPartner(db, idOrName),
    revoke: (partner) => revokePartner(db, partner.id),
    rotate: (partner) => rotatePartnerKey(db, partner.id),
  };
}

const PARTNER_FIELDS = 'id name keyPrefix scopes origins rateLimitPerMinute costBudget revokedAt';

interface PartnerFields {
  id: number;
  name: string;
  keyPrefix: string;
  scopes: string[];
  origins: string[];
  rateLimitPerMinute: number | null;
  costBudget: number | null;
  revokedAt: string | null;
}

function fromApi(partner: PartnerFields): PartnerSummary {
  return {
    id: partner.id,
    name: partner.name,
    key_prefix: partner.keyPrefix,
    scopes: partner.scopes,
    origins: partner.origins,
    rate_limit_per_minute: partner.rateLimitPerMinute,
    cost_budget: partner.costBudget,
    revoked_at: partner.revokedAt === null ? null : new Date(partner.revokedAt),
  };
}

/** The same commands through a running server's API (a key with the admin scope). */
export function serverPartnerAdmin(target: ServerTarget): PartnerAdmin {
  const inputError = (error: unknown): never => {
    if (error instanceof ServerRequestError && error.code === 'BAD_USER_INPUT') {
      throw new PartnerInputError(error.message.replace(/^the server at \S+ answered \d+: /, ''));
    }
    throw error;
  };
  const list = async () =>
    (
      await requestServer<{ partners: PartnerFields[] }>(target, `{ partners { ${PARTNER_FIELDS} } }`, {})
    ).partners.map(fromApi);
  return {
    create: async (input) => {
      const { createPartner: created } = await requestServer<{
        createPartner: { partner: PartnerFields; key: string };
      }>(
        target,
        `mutation CreatePartner($input: PartnerInput!) { createPartner(input: $input) { key partner { ${PARTNER_FIELDS} } } }`,
        { input },
      ).catch(inputError);
      return { partner: fromApi(created.partner), key: created.key };
    },
    list,
    find: async (idOrName) => {
      const partners = await list();
      return partners.find((p) => String(p.id) === idOrName) ?? partners.find((p) => p.name === idOrName);
    },
    revoke: async (partner) =>
      fromApi(
        (
          await requestServer<{ revokePartner: PartnerFields }>(
            target,
            `mutation RevokePartner($partner: String!) { revokePartner(partner: $partner) { ${PARTNER_FIELDS} } }`,
            { partner: String(partner.id) },
          )
        ).revokePartner,
      ),
    rotate: async (partner) => {
      const { rotatePartnerKey: rotated } = await requestServer<{
        rotatePartnerKey: { partner: PartnerFields; key: string };
      }>(
        target,
        `mutation RotatePartnerKey($partner: String!) { rotatePartnerKey(partner: $partner) { key partner { ${PARTNER_FIELDS} } } }`,
        { partner: String(partner.id) },
      );
      return { partner: fromApi(rotated.partner), key: rotated.key };
    },
  };
}

function describe(partner: PartnerSummary): string {
  return [
    `#${partner.id} ${partner.name}`,
    `key byl_${partner.key_prefix}_…`,
    `scopes ${partner.scopes.join(',') || '(none)'}`,
    `origins ${partner.origins.join(' ') || '(none)'}`,
    `rate ${partner.rate_limit_per_minute ?? 'default'}/min`,
    `budget ${partner.cost_budget ?? 'default'}`,
    partner.revoked_at ? `REVOKED ${partner.revoked_at.toISOString()}` : 'active',
  ].join('  ');
}

function integerOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,10}$/.test(raw))
    throw new PartnerInputError(`--${name}: expected a positive integer, got "${raw}"`);
  return Number(raw);
}

/** `byline partner …`: returns the exit code. A new key is printed once and never again. */
export async function runPartnerCommand(
  admin: PartnerAdmin,
  argv: readonly string[],
  out: CommandOutput,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        origin: { type: 'string', multiple: true },
        scope: { type: 'string', multiple: true },
        'rate-limit': { type: 'string' },
        'cost-budget': { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    out.error(`byline partner: ${(error as Error).message}\nUsage: ${partnerUsage}`);
    return 2;
  }
  const [action, target, ...extra] = parsed.positionals;
  const { values } = parsed;
  try {
    switch (action) {
      case 'create': {
        if (target === undefined || extra.length > 0) {
          out.error(
            `byline partner create: expected one name (quote it if it has spaces)\nUsage: ${partnerUsage}`,
          );
          return 2;
        }
        const { partner, key } = await admin.create({
          name: target,
          origins: values.origin ?? [],
          scopes: (values.scope ?? []).flatMap((scope) => scope.split(',')),
          rateLimitPerMinute: integerOption('rate-limit', values['rate-limit']) ?? null,
          costBudget: integerOption('cost-budget', values['cost-budget']) ?? null,
        });
        out.log(`created  ${describe(partner)}`);
        out.log(`key      ${key}`);
        out.log('Store this key now: it is shown once and only its hash is kept.');
        return 0;
      }
      case 'list': {
        const partners = await admin.list();
        if (partners.length === 0) out.log('No partners.');
        for (const partner of partners) out.log(describe(partner));
        return 0;
      }
      case 'revoke':
      case 'rotate': {
        if (target === undefined || extra.length > 0) {
          out.error(`byline partner ${action}: expected one partner id or name\nUsage: ${partnerUsage}`);
          return 2;
        }
        const partner = await admin.find(target);
        if (!partner) {
          out.error(`byline partner ${action}: no partner with id or name "${target}"`);
          return 1;
        }
        if (partner.revoked_at !== null) {
          out.error(`byline partner ${action}: partner "${partner.name}" is already revoked`);
          return 1;
        }
        if (action === 'revoke') {
          const revoked = await admin.revoke(partner);
          out.log(`revoked  ${describe(revoked ?? partner)}`);
          return 0;
        }
        const rotated = await admin.rotate(partner);
        if (!rotated) {
          out.error(`byline partner rotate: partner "${partner.name}" was revoked meanwhile`);
          return 1;
        }
        out.log(`rotated  ${describe(rotated.partner)}`);
        out.log(`key      ${rotated.key}`);
        out.log('Store this key now: it is shown once. The previous key no longer works.');
        return 0;
      }
      default:
        out.error(
          `byline partner: expected create, list, revoke or rotate, got "${action ?? ''}"\nUsage: ${partnerUsage}`,
        );
        return 2;
    }
  } catch (error) {
    if (error instanceof PartnerInputError) {
      out.error(`byline partner ${action}: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

export const runPartner: RunCommand = async (_args, config, _flags, argv) => {
  // `partner list` writes nothing, but reads what the server holds: the same target as the writes.
  const target = await chooseWriteTarget(config, 'partner');
  if (target.kind === 'refused') {
    console.error(target.message);
    return EXIT.config;
  }
  if (target.kind === 'server') {
    console.error(`byline partner: through ${target.found} at ${target.url}`);
    return runPartnerCommand(serverPartnerAdmin(target), withoutServerFlag(argv), console);
  }
  const database = await openWriteDatabase(config);
  try {
    return await runPartnerCommand(databasePartnerAdmin(database.db), withoutServerFlag(argv), console);
  } finally {
    await database.close();
  }
};
