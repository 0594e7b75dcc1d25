import { sql, type Kysely } from 'kysely';
import { WEBHOOKS_NEED_POSTGRES, type WebhookSettings } from '../webhook-settings.ts';
import type { Database, WebhookEndpointRow } from '../../db/database.ts';
import { findChangesHead } from '../changes/index.ts';
import { checkReceiverAddress, WebhookAddressError } from './address-guard.ts';
import { WEBHOOK_EVENT_TYPES } from './change-source.ts';
import { queueDeliveries, wakeEndpoints } from './webhook-jobs.ts';
import { generateWebhookSecret } from './webhook-secret.ts';
import * as repository from './webhooks.repository.ts';

/** Bad input to a webhook command: the message names the field, what was expected and what came. */
export class WebhookInputError extends Error {
  override name = 'WebhookInputError';
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

export { WEBHOOKS_NEED_POSTGRES, type WebhookSettings };

export interface WebhookEndpointInput {
  readonly url: string;
  readonly eventTypes?: readonly string[] | null | undefined;
  readonly sections?: readonly string[] | null | undefined;
  readonly tags?: readonly string[] | null | undefined;
  readonly description?: string | null | undefined;
}

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

async function checkUrl(
  raw: string,
  settings: Extract<WebhookSettings, { available: true }>,
): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookInputError('url', `url: expected an absolute http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new WebhookInputError(
      'url',
      `url: expected an http or https URL, got the protocol "${url.protocol}"`,
    );
  }
  if (url.username || url.password) {
    throw new WebhookInputError(
      'url',
      'url: expected no credentials in the URL (user:password@); the signature authenticates Byline',
    );
  }
  if (raw.length > 2000)
    throw new WebhookInputError('url', `url: expected at most 2000 characters, got ${raw.length}`);
  url.hash = '';
  try {
    await checkReceiverAddress(url, settings.allowed);
  } catch (error) {
    if (error instanceof WebhookAddressError) throw new WebhookInputError('url', error.message);
    throw error;
  }
  return url.href;
}

function checkList(
  field: string,
  values: readonly string[] | null | undefined,
  check: (value: string) => string | undefined,
): string[] {
  const list = [...new Set(values ?? [])];
  if (list.length > 100)
    throw new WebhookInputError(field, `${field}: expected at most 100 entries, got ${list.length}`);
  for (const value of list) {
    const problem = check(value);
    if (problem) throw new WebhookInputError(field, `${field}: ${problem}, got ${JSON.stringify(value)}`);
  }
  return list;
}

const checkTypes = (values: readonly string[] | null | undefined) =>
  checkList('eventTypes', values, (value) =>
    WEBHOOK_EVENT_TYPES.includes(value) ? undefined : `expected one of ${WEBHOOK_EVENT_TYPES.join(', ')}`,
  );
const checkSlugs = (field: string, values: readonly string[] | null | undefined) =>
  checkList(field, values, (value) =>
    SLUG.test(value) ? undefined : 'expected slugs (lowercase letters, digits, single hyphens)',
  );

function checkDescription(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  if (value.length > 500)
    throw new WebhookInputError(
      'description',
      `description: expected at most 500 characters, got ${value.length}`,
    );
  return value.trim();
}

function usable(settings: WebhookSettings): Extract<WebhookSettings, { available: true }> {
  if (!settings.available) throw new WebhookInputError('', settings.reason);
  return settings;
}

/**
 * Registers an endpoint for a partner; returns it with its signing secret, which exists in clear
 * only here (to show once) and in the row that signs. It receives the changes committed from now on.
 */
export async function createWebhookEndpoint(
  db: Kysely<Database>,
  settings: WebhookSettings,
  partnerId: number,
  input: WebhookEndpointInput,
): Promise<{ endpoint: WebhookEndpointRow; secret: string }> {
  const ready = usable(settings);
  const url = await checkUrl(input.url, ready);
  const eventTypes = checkTypes(input.eventTypes);
  const sections = checkSlugs('sections', input.sections);
  const tags = checkSlugs('tags', input.tags);
  const description = checkDescription(input.description);
  const secret = generateWebhookSecret();
  const endpoint = await db.transaction().execute(async (trx) =>
    repository.insertEndpoint(trx, {
      partnerId,
      url,
      description,
      eventTypes,
      sections,
      tags,
      secret,
      startAfter: await findChangesHead(trx),
    }),
  );
  return { endpoint, secret };
}

/** A new secret, shown once; the previous one keeps signing beside it for 24 hours. */
export async function rotateWebhookSecret(
  db: Kysely<Database>,
  id: number,
): Promise<{ endpoint: WebhookEndpointRow; secret: string } | undefined> {
  const secret = generateWebhookSecret();
  const endpoint = await repository.replaceEndpointSecret(db, id, secret);
  return endpoint ? { endpoint, secret } : undefined;
}

export interface WebhookEndpointPatch {
  readonly enabled?: boolean | null | undefined;
  readonly url?: string | null | undefined;
  readonly eventTypes?: readonly string[] | null | undefined;
  readonly sections?: readonly string[] | null | undefined;
  readonly tags?: readonly string[] | null | undefined;
  readonly description?: string | null | undefined;
}

/** Changes an endpoint; `enabled: true` resumes from its cursor, so nothing committed meanwhile is missed. */
export async function updateWebhookEndpoint(
  db: Kysely<Database>,
  settings: WebhookSettings,
  id: number,
  patch: WebhookEndpointPatch,
  by: string,
): Promise<WebhookEndpointRow | undefined> {
  const fields: Parameters<typeof repository.updateEndpointFields>[2] = {};
  if (patch.url != null) fields.url = await checkUrl(patch.url, usable(settings));
  if (patch.eventTypes != null) fields.event_types = checkTypes(patch.eventTypes);
  if (patch.sections != null) fields.sections = checkSlugs('sections', patch.sections);
  if (patch.tags != null) fields.tags = checkSlugs('tags', patch.tags);
  if (patch.description !== undefined) fields.description = checkDescription(patch.description);
  return db.transaction().execute(async (trx) => {
    let endpoint = await repository.updateEndpointFields(trx, id, fields);
    if (!endpoint) return undefined;
    if (patch.enabled === false && endpoint.state !== 'disabled') {
      endpoint = await repository.setEndpointState(trx, id, 'disabled', `disabled by ${by}`);
    } else if (patch.enabled === true && endpoint.state !== 'active') {
      endpoint = await repository.setEndpointState(trx, id, 'active', null);
      if (usable(settings)) await wakeEndpoints(trx, id);
    }
    return endpoint;
  });
}

export { deleteEndpoint as deleteWebhookEndpoint } from './webhooks.repository.ts';

/**
 * Sends again: every event from `fromPosition` on (the endpoint's cursor moves back; its filter still
 * applies), or every delivery that used up its attempts (`failedOnly`). Each replayed delivery is a
 * new message: a new webhook-id (`…_r<n>`), the same event id and position in its payload.
 * Returns how many deliveries were queued again (for a position replay: queued as the cursor passes).
 */
export async function replayWebhookDeliveries(
  db: Kysely<Database>,
  settings: WebhookSettings,
  id: number,
  what: {
    readonly fromPosition?: number | null | undefined;
    readonly failedOnly?: boolean | null | undefined;
  },
): Promise<{ endpoint: WebhookEndpointRow; requeued: number } | undefined> {
  usable(settings);
  const from = what.fromPosition ?? null;
  if ((from === null) === !what.failedOnly) {
    throw new WebhookInputError('fromPosition', 'expected exactly one of fromPosition or failedOnly: true');
  }
  if (from !== null && (!Number.isSafeInteger(from) || from < 1)) {
    throw new WebhookInputError(
      'fromPosition',
      `fromPosition: expected a positive whole position, got ${from}`,
    );
  }
  return db.transaction().execute(async (trx) => {
    const endpoint = await repository.findEndpointById(trx, id);
    if (!endpoint) return undefined;
    if (from !== null) {
      const { rows } = await sql<{ count: number }>`
        select count(*)::int as count from webhook_deliveries
        where endpoint_id = ${id} and position >= ${from} and position <= ${endpoint.delivered_through}`.execute(
        trx,
      );
      const moved = await trx
        .updateTable('webhook_endpoints')
        .set({ delivered_through: sql`least(delivered_through, ${from - 1})` })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await wakeEndpoints(trx, id);
      return { endpoint: moved, requeued: rows[0]?.count ?? 0 };
    }
    const requeued = await trx
      .updateTable('webhook_deliveries')
      .set({
        generation: sql`generation + 1`,
        status: 'pending',
        attempts: 0,
        next_attempt_at: null,
        finished_at: null,
      })
      .where('endpoint_id', '=', id)
      .where('status', '=', 'failed')
      .returning(['id', 'generation', 'position'])
      .execute();
    requeued.sort((a, b) => Number(a.position) - Number(b.position));
    await queueDeliveries(trx, id, requeued, 1, 0);
    return { endpoint, requeued: requeued.length };
  });
}
