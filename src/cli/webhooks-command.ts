import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { findPartner } from '../modules/partners/index.ts';
import {
  allowedNetworks,
  createWebhookEndpoint,
  deleteEndpoint,
  listAttempts,
  listEndpointParents,
  migrateWebhookQueue,
  replayWebhookDeliveries,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  WEBHOOKS_NEED_POSTGRES,
  WebhookInputError,
  webhookMessageId,
  type WebhookEndpointInput,
  type WebhookSettings,
} from '../modules/webhooks/index.ts';
import { createLogger } from '../shared/logger.ts';
import { EXIT, type RunCommand } from './command.ts';
import { requestServer, ServerRequestError, type ServerTarget } from './server-client.ts';
import { webhooksUsage } from './webhooks-usage.ts';
import { chooseWriteTarget, openWriteDatabase, withoutServerFlag } from './write-target.ts';

interface CommandOutput {
  log(line: string): void;
  error(line: string): void;
}

/** An endpoint as `byline webhooks` prints it, from a row or from the API. */
export interface EndpointSummary {
  readonly id: number;
  readonly partner: string;
  readonly url: string;
  readonly eventTypes: readonly string[];
  readonly sections: readonly string[];
  readonly tags: readonly string[];
  readonly state: string;
  readonly stateReason: string | null;
  readonly deliveredThrough: number;
}

/** One line of the delivery log. */
export interface AttemptSummary {
  readonly messageId: string;
  readonly position: number;
  readonly eventType: string;
  readonly attempt: number;
  readonly startedAt: string;
  readonly statusCode: number | null;
  readonly latencyMs: number | null;
  readonly outcome: string | null;
  readonly error: string | null;
}

/** What `byline webhooks` does, on the database directly or through a running server. */
export interface WebhookAdmin {
  add(partner: string, input: WebhookEndpointInput): Promise<{ endpoint: EndpointSummary; secret: string }>;
  list(partner: string | undefined): Promise<EndpointSummary[]>;
  rotate(id: number): Promise<{ endpoint: EndpointSummary; secret: string } | undefined>;
  setEnabled(id: number, enabled: boolean): Promise<EndpointSummary | undefined>;
  remove(id: number): Promise<boolean>;
  replay(id: number, what: { fromPosition?: number; failedOnly?: boolean }): Promise<number | undefined>;
  log(id: number, limit: number): Promise<AttemptSummary[] | undefined>;
}

class NotFound extends Error {}

function summary(row: Awaited<ReturnType<typeof listEndpointParents>>[number]): EndpointSummary {
  return {
    id: row.id,
    partner: row.partner_name,
    url: row.url,
    eventTypes: row.event_types,
    sections: row.sections,
    tags: row.tags,
    state: row.state.toUpperCase(),
    stateReason: row.state_reason,
    deliveredThrough: Number(row.delivered_through),
  };
}

export function databaseWebhookAdmin(db: Kysely<Database>, settings: WebhookSettings): WebhookAdmin {
  const one = async (id: number) => {
    const [row] = await listEndpointParents(db, null, id);
    return row ? summary(row) : undefined;
  };
  return {
    add: async (partnerName, input) => {
      const partner = await findPartner(db, partnerName);
      if (!partner || partner.revoked_at !== null) {
        throw new WebhookInputError('partner', `no live partner with id or name "${partnerName}"`);
      }
      const { endpoint, secret } = await createWebhookEndpoint(db, settings, partner.id, input);
      return { endpoint: (await one(endpoint.id))!, secret };
    },
    list: async (partnerName) => {
      if (partnerName === undefined) return (await listEndpointParents(db, null)).map(summary);
      const partner = await findPartner(db, partnerName);
      if (!partner) throw new WebhookInputError('partner', `no partner with id or name "${partnerName}"`);
      return (await listEndpointParents(db, partner.id)).map(summary);
    },
    rotate: async (id) => {
      const rotated = await rotateWebhookSecret(db, id);
      return rotated && { endpoint: (await one(id))!, secret: rotated.secret };
    },
    setEnabled: async (id, enabled) =>
      (await updateWebhookEndpoint(db, settings, id, { enabled }, 'byline webhooks')) ? one(id) : undefined,
    remove: (id) => deleteEndpoint(db, id),
    replay: async (id, what) => (await replayWebhookDeliveries(db, settings, id, what))?.requeued,
    log: async (id, limit) => {
      if (!(await one(id))) return undefined;
      return (await listAttempts(db, id, limit)).map((row) => ({
        messageId: webhookMessageId(row.endpoint_id, row.position, row.generation),
        position: Number(row.position),
        eventType: row.event_type,
        attempt: row.attempt,
        startedAt: row.started_at.toISOString(),
        statusCode: row.status_code,
        latencyMs: row.latency_ms,
        outcome: row.outcome === null ? null : row.outcome.toUpperCase(),
        error: row.error,
      }));
    },
  };
}

const ENDPOINT_FIELDS = 'id partner url eventTypes sections tags state stateReason deliveredThrough';

/** The same commands through a running server's API (a key with the editor scope). */
export function serverWebhookAdmin(target: ServerTarget): WebhookAdmin {
  const call = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    try {
      return await requestServer<T>(target, query, variables);
    } catch (error) {
      if (error instanceof ServerRequestError && error.code === 'BAD_USER_INPUT') {
        throw new WebhookInputError('', error.message.replace(/^the server at \S+ answered \d+: /, ''));
      }
      if (error instanceof ServerRequestError && error.code === 'NOT_FOUND')
        throw new NotFound(error.message);
      throw error;
    }
  };
  const absent = <T>(run: () => Promise<T>): Promise<T | undefined> =>
    run().catch((error: unknown) => {
      if (error instanceof NotFound) return undefined;
      throw error;
    });
  return {
    add: async (partner, input) =>
      (
        await call<{ createWebhookEndpoint: { endpoint: EndpointSummary; secret: string } }>(
          `mutation Add($partner: String, $input: WebhookEndpointInput!) { createWebhookEndpoint(partner: $partner, input: $input) { secret endpoint { ${ENDPOINT_FIELDS} } } }`,
          { partner, input },
        )
      ).createWebhookEndpoint,
    list: async (partner) =>
      (
        await call<{ webhookEndpoints: EndpointSummary[] }>(
          `query List($partner: String) { webhookEndpoints(partner: $partner) { ${ENDPOINT_FIELDS} } }`,
          { partner: partner ?? null },
        )
      ).webhookEndpoints,
    rotate: (id) =>
      absent(
        async () =>
          (
            await call<{ rotateWebhookSecret: { endpoint: EndpointSummary; secret: string } }>(
              `mutation Rotate($id: Int!) { rotateWebhookSecret(id: $id) { secret endpoint { ${ENDPOINT_FIELDS} } } }`,
              { id },
            )
          ).rotateWebhookSecret,
      ),
    setEnabled: (id, enabled) =>
      absent(
        async () =>
          (
            await call<{ updateWebhookEndpoint: EndpointSummary }>(
              `mutation Enable($id: Int!, $patch: WebhookEndpointPatch!) { updateWebhookEndpoint(id: $id, patch: $patch) { ${ENDPOINT_FIELDS} } }`,
              { id, patch: { enabled } },
            )
          ).updateWebhookEndpoint,
      ),
    remove: async (id) =>
      (
        await call<{ deleteWebhookEndpoint: boolean }>(
          `mutation Delete($id: Int!) { deleteWebhookEndpoint(id: $id) }`,
          { id },
        )
      ).deleteWebhookEndpoint,
    replay: (id, what) =>
      absent(
        async () =>
          (
            await call<{ replayWebhookDeliveries: { requeued: number } }>(
              `mutation Replay($id: Int!, $from: Float, $failed: Boolean) { replayWebhookDeliveries(id: $id, fromPosition: $from, failedOnly: $failed) { requeued } }`,
              { id, from: what.fromPosition ?? null, failed: what.failedOnly ?? null },
            )
          ).replayWebhookDeliveries.requeued,
      ),
    log: async (id, limit) => {
      const { webhookEndpoints } = await call<{
        webhookEndpoints: (EndpointSummary & { attempts: AttemptSummary[] })[];
      }>(
        `query Log($first: Int) { webhookEndpoints { id attempts(first: $first) { messageId position eventType attempt startedAt statusCode latencyMs outcome error } } }`,
        { first: limit },
      );
      return webhookEndpoints.find((endpoint) => endpoint.id === id)?.attempts;
    },
  };
}

function describe(endpoint: EndpointSummary): string {
  return [
    `#${endpoint.id} ${endpoint.partner}`,
    endpoint.url,
    `types ${endpoint.eventTypes.join(',') || 'all'}`,
    `sections ${endpoint.sections.join(',') || 'all'}`,
    `tags ${endpoint.tags.join(',') || 'all'}`,
    `through ${endpoint.deliveredThrough}`,
    endpoint.stateReason ? `${endpoint.state} (${endpoint.stateReason})` : endpoint.state,
  ].join('  ');
}

function wholeNumber(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,15}$/.test(raw))
    throw new WebhookInputError(name, `--${name}: expected a whole number, got "${raw}"`);
  return Number(raw);
}

/** `byline webhooks …`: returns the exit code. A new secret is printed once and never again. */
export async function runWebhooksCommand(
  admin: WebhookAdmin,
  argv: readonly string[],
  out: CommandOutput,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        type: { type: 'string', multiple: true },
        section: { type: 'string', multiple: true },
        tag: { type: 'string', multiple: true },
        description: { type: 'string' },
        from: { type: 'string' },
        failed: { type: 'boolean' },
        limit: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    out.error(`byline webhooks: ${(error as Error).message}\nUsage: ${webhooksUsage}`);
    return EXIT.usage;
  }
  const [action, first, second, ...extra] = parsed.positionals;
  const { values } = parsed;
  const split = (list: string[] | undefined) =>
    (list ?? []).flatMap((entry) => entry.split(',')).filter(Boolean);
  const usage = (what: string) => {
    out.error(`byline webhooks ${action}: expected ${what}\nUsage: ${webhooksUsage}`);
    return EXIT.usage;
  };
  const endpointId = () => wholeNumber('id', first);
  const missing = () => {
    out.error(`byline webhooks ${action}: no webhook endpoint with id ${first}`);
    return EXIT.failure;
  };
  try {
    switch (action) {
      case 'add': {
        if (first === undefined || second === undefined || extra.length > 0)
          return usage('a partner (id or name) and a URL');
        const { endpoint, secret } = await admin.add(first, {
          url: second,
          eventTypes: split(values.type),
          sections: split(values.section),
          tags: split(values.tag),
          description: values.description ?? null,
        });
        out.log(`added    ${describe(endpoint)}`);
        out.log(`secret   ${secret}`);
        out.log('Store this secret now (the receiver verifies signatures with it): it is shown once.');
        return EXIT.ok;
      }
      case 'list': {
        if (second !== undefined) return usage('at most a partner (id or name)');
        const endpoints = await admin.list(first);
        if (endpoints.length === 0) out.log('No webhook endpoints.');
        for (const endpoint of endpoints) out.log(describe(endpoint));
        return EXIT.ok;
      }
      case 'rotate': {
        if (first === undefined || second !== undefined) return usage('one endpoint id');
        const rotated = await admin.rotate(endpointId()!);
        if (!rotated) return missing();
        out.log(`rotated  ${describe(rotated.endpoint)}`);
        out.log(`secret   ${rotated.secret}`);
        out.log(
          'Store this secret now: it is shown once. The previous one still signs for 24 hours (both signatures are sent).',
        );
        return EXIT.ok;
      }
      case 'enable':
      case 'disable': {
        if (first === undefined || second !== undefined) return usage('one endpoint id');
        const endpoint = await admin.setEnabled(endpointId()!, action === 'enable');
        if (!endpoint) return missing();
        out.log(`${action}d ${describe(endpoint)}`);
        return EXIT.ok;
      }
      case 'delete': {
        if (first === undefined || second !== undefined) return usage('one endpoint id');
        if (!(await admin.remove(endpointId()!))) return missing();
        out.log(`deleted  #${first}`);
        return EXIT.ok;
      }
      case 'replay': {
        if (first === undefined || second !== undefined) return usage('one endpoint id');
        const from = wholeNumber('from', values.from);
        if ((from === undefined) === !values.failed)
          return usage('exactly one of --from <position> or --failed');
        const requeued = await admin.replay(
          endpointId()!,
          from === undefined ? { failedOnly: true } : { fromPosition: from },
        );
        if (requeued === undefined) return missing();
        out.log(
          from === undefined
            ? `replaying ${requeued} failed deliveries of #${first}, each as a new message`
            : `replaying #${first} from position ${from} (${requeued} deliveries made since then go again, each as a new message)`,
        );
        return EXIT.ok;
      }
      case 'log': {
        if (first === undefined || second !== undefined) return usage('one endpoint id');
        const attempts = await admin.log(endpointId()!, wholeNumber('limit', values.limit) ?? 20);
        if (!attempts) return missing();
        if (attempts.length === 0) out.log('No attempts yet.');
        for (const a of attempts) {
          out.log(
            [
              a.startedAt,
              a.messageId,
              `position ${a.position}`,
              a.eventType,
              `attempt ${a.attempt}`,
              a.outcome ?? 'RUNNING',
              a.statusCode === null ? '-' : String(a.statusCode),
              a.latencyMs === null ? '-' : `${a.latencyMs} ms`,
              a.error ?? '',
            ]
              .join('  ')
              .trim(),
          );
        }
        return EXIT.ok;
      }
      default:
        out.error(
          `byline webhooks: expected add, list, rotate, enable, disable, delete, replay or log, got "${action ?? ''}"\nUsage: ${webhooksUsage}`,
        );
        return EXIT.usage;
    }
  } catch (error) {
    if (error instanceof WebhookInputError) {
      out.error(`byline webhooks ${action}: ${error.message}`);
      return EXIT.usage;
    }
    throw error;
  }
}

/** The settings a direct database writer registers endpoints with (as the server would). */
export function webhookSettingsFor(engine: 'postgres' | 'pglite', config: Config): WebhookSettings {
  return engine === 'postgres'
    ? { available: true, allowed: allowedNetworks(config.webhookAllowedNetworks) }
    : { available: false, reason: WEBHOOKS_NEED_POSTGRES };
}

export const runWebhooks: RunCommand = async (_args, config, _flags, argv) => {
  const target = await chooseWriteTarget(config, 'webhooks');
  if (target.kind === 'refused') {
    console.error(target.message);
    return EXIT.config;
  }
  const rest = withoutServerFlag(argv);
  if (target.kind === 'server') {
    console.error(`byline webhooks: through ${target.found} at ${target.url}`);
    return runWebhooksCommand(serverWebhookAdmin(target), rest, console);
  }
  const database = await openWriteDatabase(config);
  try {
    if (database.engine === 'postgres') {
      await migrateWebhookQueue(String(config.databaseListenUrl ?? config.databaseUrl), createLogger('warn'));
    }
    return await runWebhooksCommand(
      databaseWebhookAdmin(database.db, webhookSettingsFor(database.engine, config)),
      rest,
      console,
    );
  } finally {
    await database.close();
  }
};
