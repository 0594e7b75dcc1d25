import { migrateToLatest } from '../db/migrate.ts';
import { openDatabase } from '../db/open-database.ts';
import type { RunCommand } from './command.ts';
import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import type { Database, PartnerRow } from '../db/database.ts';
import {
  createPartner,
  findPartner,
  listPartners,
  PartnerInputError,
  revokePartner,
  rotatePartnerKey,
} from '../modules/partners/index.ts';
import { partnerUsage } from './partner-usage.ts';

export interface CommandOutput {
  log(line: string): void;
  error(line: string): void;
}

function describe(partner: PartnerRow): string {
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
  db: Kysely<Database>,
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
        const { partner, key } = await createPartner(db, {
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
        const partners = await listPartners(db);
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
        const partner = await findPartner(db, target);
        if (!partner) {
          out.error(`byline partner ${action}: no partner with id or name "${target}"`);
          return 1;
        }
        if (partner.revoked_at !== null) {
          out.error(`byline partner ${action}: partner "${partner.name}" is already revoked`);
          return 1;
        }
        if (action === 'revoke') {
          const revoked = await revokePartner(db, partner.id);
          out.log(`revoked  ${describe(revoked ?? partner)}`);
          return 0;
        }
        const rotated = await rotatePartnerKey(db, partner.id);
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
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    pooler: config.databasePooler,
  });
  try {
    await migrateToLatest(database.db);
    return await runPartnerCommand(database.db, argv, console);
  } finally {
    await database.close();
  }
};
