import type { BlockList } from 'node:net';

/** Whether this gateway can deliver webhooks, and the networks receivers may be on (a mutation's `Writes`). */
export type WebhookSettings =
  | { readonly available: true; readonly allowed: BlockList }
  | { readonly available: false; readonly reason: string };

/** Why registration is refused on embedded PGlite: said once, everywhere. */
export const WEBHOOKS_NEED_POSTGRES =
  'Webhooks need PostgreSQL: their deliveries run on a durable job queue (graphile-worker) that embedded PGlite cannot host. Set DATABASE_URL to a PostgreSQL database to register endpoints.';
