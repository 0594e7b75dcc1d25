import type { ModuleManifest } from '../module-manifest.ts';
import { readTypeDefs } from '../module-manifest.ts';
import { webhookResolvers } from './webhooks.resolvers.ts';

/** Webhooks: partners' endpoints, signed deliveries of the change log on a durable queue, the delivery log. */
export const webhooksModule: ModuleManifest = {
  name: 'webhooks',
  typeDefs: readTypeDefs('./webhooks.graphql', import.meta.url),
  resolvers: webhookResolvers,
};

export { allowedNetworks, WebhookAddressError } from './address-guard.ts';
export { WEBHOOK_EVENT_TYPES, webhookPayload } from './change-source.ts';
export { webhookMessageId } from './webhook-jobs.ts';
export {
  migrateWebhookQueue,
  startWebhookQueue,
  type DeliveryOutcome,
  type WebhookQueue,
  type WebhookQueueOptions,
} from './webhook-queue.ts';
export { generateWebhookSecret, signatureHeader } from './webhook-secret.ts';
export {
  findEndpointById,
  listAttempts,
  listEndpointParents,
  measureWebhookQueue,
  summarizeDeliveries,
  deleteEndpoint,
  type AttemptLogRow,
} from './webhooks.repository.ts';
export {
  createWebhookEndpoint,
  replayWebhookDeliveries,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  WEBHOOKS_NEED_POSTGRES,
  WebhookInputError,
  type WebhookEndpointInput,
  type WebhookEndpointPatch,
  type WebhookSettings,
} from './webhooks.service.ts';
