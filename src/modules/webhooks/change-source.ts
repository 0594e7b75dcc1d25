import type { Kysely, Transaction } from 'kysely';
import type { Database, WebhookEndpointRow } from '../../db/database.ts';
import { toGlobalId } from '../../shared/global-id.ts';
import type { Viewer } from '../../shared/viewer.ts';
import { CHANGE_TYPES, listChanges, type ChangeEventRow } from '../changes/index.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Webhook event types: `article.` and the change log's type (docs/changes.md). */
export const WEBHOOK_EVENT_TYPES: readonly string[] = CHANGE_TYPES.map((type) => `article.${type}`);

/** One event as a webhook sends it: position order is recoverable from the payload. */
export interface WebhookEvent {
  readonly position: number;
  readonly type: string;
  /** The thin JSON body, as signed and sent. */
  readonly payload: string;
}

/**
 * The Standard Webhooks body: `type`, `timestamp` and `data`; no article body, a few hundred bytes
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#payload-structure).
 */
export function webhookPayload(event: ChangeEventRow): string {
  return JSON.stringify({
    type: `article.${event.type}`,
    timestamp: new Date(event.occurred_at).toISOString(),
    data: {
      id: `evt_${event.position}`,
      position: Number(event.position),
      articleId: toGlobalId('Article', event.article_id),
      slug: event.slug,
      ...(event.previous_slug !== null && { previousSlug: event.previous_slug }),
      revision: event.revision,
    },
  });
}

async function idsOf(
  db: Db,
  table: 'sections' | 'tags',
  slugs: readonly string[],
): Promise<number[] | undefined> {
  if (slugs.length === 0) return undefined;
  const rows = await db
    .selectFrom(table)
    .select('id')
    .where('slug', 'in', [...slugs])
    .execute();
  return rows.map((row) => row.id);
}

/** The next events after the endpoint's cursor that its partner may see and its filter wants. */
export async function readEndpointChanges(
  db: Db,
  endpoint: WebhookEndpointRow,
  viewer: Viewer,
  first: number,
): Promise<{ events: WebhookEvent[]; endPosition: number; hasNextPage: boolean }> {
  const types =
    endpoint.event_types.length === 0
      ? undefined
      : endpoint.event_types.map((type) => type.replace(/^article\./, ''));
  const page = await listChanges(db, {
    after: Number(endpoint.delivered_through),
    first,
    viewer,
    filter: {
      types: types as (typeof CHANGE_TYPES)[number][] | undefined,
      sectionIds: await idsOf(db, 'sections', endpoint.sections),
      tagIds: await idsOf(db, 'tags', endpoint.tags),
    },
  });
  return {
    events: page.events.map((event) => ({
      position: Number(event.position),
      type: `article.${event.type}`,
      payload: webhookPayload(event),
    })),
    endPosition: Math.max(page.endPosition, Number(endpoint.delivered_through)),
    hasNextPage: page.hasNextPage,
  };
}
