import type { WebhookEndpointRow } from '../../db/database.ts';
import type { AttemptLogRow } from './webhooks.repository.ts';

/** What `WebhookEndpoint` resolvers receive: the row and its partner's name. */
export type WebhookEndpointParent = WebhookEndpointRow & { readonly partner_name: string };

/** What `WebhookAttempt` resolvers receive. */
export type WebhookAttemptParent = AttemptLogRow;

/** What `WebhookEndpointSecret` resolvers receive. */
export interface WebhookEndpointSecretParent {
  readonly endpoint: WebhookEndpointParent;
  readonly secret: string;
}

/** What `WebhookReplay` resolvers receive. */
export interface WebhookReplayParent {
  readonly endpoint: WebhookEndpointParent;
  readonly requeued: number;
}
