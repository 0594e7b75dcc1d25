import { GraphQLError } from 'graphql';
import type { Kysely } from 'kysely';
import type { Database, WebhookEndpointRow } from '../../db/database.ts';
import type { Resolvers } from '../../generated/resolvers-types.ts';
import { badUserInput, forbidden } from '../../shared/errors.ts';
import { hasScope } from '../../shared/viewer.ts';
import type { GraphQLContext } from '../context.ts';
import { findPartner } from '../partners/index.ts';
import { webhookMessageId } from './webhook-jobs.ts';
import type { WebhookEndpointParent } from './webhooks.mappers.ts';
import { listAttempts, listEndpointParents, summarizeDeliveries } from './webhooks.repository.ts';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  replayWebhookDeliveries,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  WebhookInputError,
  type WebhookSettings,
} from './webhooks.service.ts';

interface Admin {
  readonly db: Kysely<Database>;
  readonly settings: WebhookSettings;
  readonly by: string;
}

function editor(context: GraphQLContext, field: string): Admin {
  if (!hasScope(context.viewer, 'editor') && !hasScope(context.viewer, 'admin')) {
    throw forbidden(`${field} needs a partner key with the "editor" scope`);
  }
  if (!context.writes) throw new Error('This gateway has no database to write to');
  return {
    db: context.writes.db,
    settings: context.writes.webhooks,
    by: context.viewer.partnerName ?? 'an editor',
  };
}

const notFound = (field: string, id: number) =>
  new GraphQLError(`${field}: no webhook endpoint with id ${id}`, { extensions: { code: 'NOT_FOUND' } });

async function withParent(
  db: Kysely<Database>,
  field: string,
  row: WebhookEndpointRow | undefined,
): Promise<WebhookEndpointParent> {
  if (!row)
    throw new GraphQLError(`${field}: the webhook endpoint was deleted meanwhile`, {
      extensions: { code: 'NOT_FOUND' },
    });
  const [parent] = await listEndpointParents(db, null, row.id);
  if (!parent) throw notFound(field, row.id);
  return parent;
}

/** Bad input as BAD_USER_INPUT naming the argument (`input.url`…). */
async function input<T>(argument: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof WebhookInputError) {
      throw badUserInput(error.message, [argument, error.field].filter(Boolean).join('.') || undefined);
    }
    throw error;
  }
}

async function partnerId(
  context: GraphQLContext,
  db: Kysely<Database>,
  field: string,
  idOrName: string | null | undefined,
): Promise<number> {
  if (idOrName === null || idOrName === undefined) {
    if (context.viewer.partnerId === null) {
      throw badUserInput(
        `${field}: expected "partner" (an id or name): this key belongs to no partner`,
        'partner',
      );
    }
    return context.viewer.partnerId;
  }
  const partner = await findPartner(db, idOrName);
  if (!partner) throw badUserInput(`${field}: no partner with id or name "${idOrName}"`, 'partner');
  if (partner.revoked_at !== null)
    throw badUserInput(`${field}: partner "${partner.name}" is revoked`, 'partner');
  return partner.id;
}

export const webhookResolvers: Resolvers = {
  Query: {
    webhookEndpoints: async (_parent, args, context) => {
      if (!context.writes) throw new Error('This gateway has no database to read endpoints from');
      const db = context.writes.db;
      const all = hasScope(context.viewer, 'editor') || hasScope(context.viewer, 'admin');
      if (!all) {
        if (context.viewer.partnerId === null) throw forbidden('Query.webhookEndpoints needs a partner key');
        if (args.partner != null)
          throw forbidden('Query.webhookEndpoints: "partner" needs the editor or admin scope');
        return listEndpointParents(db, context.viewer.partnerId);
      }
      if (args.partner == null) return listEndpointParents(db, null);
      return listEndpointParents(db, await partnerId(context, db, 'Query.webhookEndpoints', args.partner));
    },
  },
  Mutation: {
    createWebhookEndpoint: async (_parent, args, context) => {
      const { db, settings } = editor(context, 'Mutation.createWebhookEndpoint');
      const owner = await partnerId(context, db, 'Mutation.createWebhookEndpoint', args.partner);
      const created = await input('input', () =>
        createWebhookEndpoint(db, settings, owner, {
          url: args.input.url,
          eventTypes: args.input.eventTypes,
          sections: args.input.sections,
          tags: args.input.tags,
          description: args.input.description,
        }),
      );
      return {
        endpoint: await withParent(db, 'Mutation.createWebhookEndpoint', created.endpoint),
        secret: created.secret,
      };
    },
    rotateWebhookSecret: async (_parent, args, context) => {
      const { db } = editor(context, 'Mutation.rotateWebhookSecret');
      const rotated = await rotateWebhookSecret(db, args.id);
      if (!rotated) throw notFound('Mutation.rotateWebhookSecret', args.id);
      return {
        endpoint: await withParent(db, 'Mutation.rotateWebhookSecret', rotated.endpoint),
        secret: rotated.secret,
      };
    },
    updateWebhookEndpoint: async (_parent, args, context) => {
      const { db, settings, by } = editor(context, 'Mutation.updateWebhookEndpoint');
      const updated = await input('patch', () =>
        updateWebhookEndpoint(db, settings, args.id, args.patch, by),
      );
      if (!updated) throw notFound('Mutation.updateWebhookEndpoint', args.id);
      return withParent(db, 'Mutation.updateWebhookEndpoint', updated);
    },
    deleteWebhookEndpoint: async (_parent, args, context) => {
      const { db } = editor(context, 'Mutation.deleteWebhookEndpoint');
      return deleteWebhookEndpoint(db, args.id);
    },
    replayWebhookDeliveries: async (_parent, args, context) => {
      const { db, settings } = editor(context, 'Mutation.replayWebhookDeliveries');
      const replayed = await input('', () =>
        replayWebhookDeliveries(db, settings, args.id, {
          fromPosition: args.fromPosition,
          failedOnly: args.failedOnly,
        }),
      );
      if (!replayed) throw notFound('Mutation.replayWebhookDeliveries', args.id);
      return {
        endpoint: await withParent(db, 'Mutation.replayWebhookDeliveries', replayed.endpoint),
        requeued: replayed.requeued,
      };
    },
  },
  WebhookEndpoint: {
    partner: (endpoint) => endpoint.partner_name,
    eventTypes: (endpoint) => endpoint.event_types,
    state: (endpoint) => endpoint.state.toUpperCase() as 'ACTIVE' | 'FAILING' | 'DISABLED',
    stateReason: (endpoint) => endpoint.state_reason,
    deliveredThrough: (endpoint) => Number(endpoint.delivered_through),
    previousSecretExpiresAt: (endpoint) => endpoint.previous_secret_expires_at,
    createdAt: (endpoint) => endpoint.created_at,
    deliveries: (endpoint, _args, context) => summarizeDeliveries(context.writes!.db, endpoint.id),
    attempts: (endpoint, args, context) => {
      const first = args.first ?? 20;
      if (!Number.isInteger(first) || first < 1 || first > 100) {
        throw badUserInput(`WebhookEndpoint.attempts: expected "first" from 1 to 100, got ${first}`, 'first');
      }
      return listAttempts(context.writes!.db, endpoint.id, first);
    },
  },
  WebhookAttempt: {
    messageId: (attempt) => webhookMessageId(attempt.endpoint_id, attempt.position, attempt.generation),
    position: (attempt) => Number(attempt.position),
    eventType: (attempt) => attempt.event_type,
    startedAt: (attempt) => attempt.started_at,
    finishedAt: (attempt) => attempt.finished_at,
    statusCode: (attempt) => attempt.status_code,
    latencyMs: (attempt) => attempt.latency_ms,
    outcome: (attempt) =>
      attempt.outcome === null
        ? null
        : (attempt.outcome.toUpperCase() as 'DELIVERED' | 'FAILED' | 'INTERRUPTED' | 'REFUSED'),
  },
};
