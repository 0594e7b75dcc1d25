import type { PartnerRow } from '../../db/database.ts';
import type { Resolvers } from '../../generated/resolvers-types.ts';
import { badUserInput, forbidden } from '../../shared/errors.ts';
import { hasScope } from '../../shared/viewer.ts';
import type { GraphQLContext } from '../context.ts';
import { listPartners, revokePartner } from './partners.repository.ts';
import { createPartner, findPartner, PartnerInputError, rotatePartnerKey } from './partners.service.ts';
import { GraphQLError } from 'graphql';

function adminDb(context: GraphQLContext, field: string) {
  if (!hasScope(context.viewer, 'admin'))
    throw forbidden(`${field} needs a partner key with the "admin" scope`);
  if (!context.writes) throw new Error('This gateway has no database to write to');
  return context.writes.db;
}

async function named(context: GraphQLContext, field: string, idOrName: string): Promise<PartnerRow> {
  const partner = await findPartner(adminDb(context, field), idOrName);
  if (!partner) {
    throw new GraphQLError(`${field}: no partner with id or name "${idOrName}"`, {
      extensions: { code: 'NOT_FOUND' },
    });
  }
  if (partner.revoked_at !== null) {
    throw new GraphQLError(`${field}: partner "${partner.name}" is already revoked`, {
      extensions: { code: 'CONFLICT' },
    });
  }
  return partner;
}

async function input<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof PartnerInputError) throw badUserInput(error.message, 'input');
    throw error;
  }
}

export const partnerResolvers: Resolvers = {
  Query: {
    partners: (_parent, _args, context) => listPartners(adminDb(context, 'Query.partners')),
  },
  Mutation: {
    createPartner: (_parent, args, context) =>
      input(() =>
        createPartner(adminDb(context, 'Mutation.createPartner'), {
          name: args.input.name,
          origins: args.input.origins ?? [],
          scopes: args.input.scopes ?? [],
          rateLimitPerMinute: args.input.rateLimitPerMinute ?? null,
          costBudget: args.input.costBudget ?? null,
        }),
      ),
    revokePartner: async (_parent, args, context) => {
      const partner = await named(context, 'Mutation.revokePartner', args.partner);
      return (await revokePartner(adminDb(context, 'Mutation.revokePartner'), partner.id)) ?? partner;
    },
    rotatePartnerKey: async (_parent, args, context) => {
      const partner = await named(context, 'Mutation.rotatePartnerKey', args.partner);
      const rotated = await rotatePartnerKey(adminDb(context, 'Mutation.rotatePartnerKey'), partner.id);
      if (!rotated) {
        throw new GraphQLError(`Mutation.rotatePartnerKey: partner "${partner.name}" was revoked meanwhile`, {
          extensions: { code: 'CONFLICT' },
        });
      }
      return rotated;
    },
  },
  Partner: {
    keyPrefix: (partner) => partner.key_prefix,
    rateLimitPerMinute: (partner) => partner.rate_limit_per_minute,
    costBudget: (partner) => partner.cost_budget,
    revokedAt: (partner) => partner.revoked_at,
  },
};
