import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { CONTENT_CHANGED_CHANNEL, decodeContentChange, type ContentChange } from '../shared/cache-tags.ts';
import type { Logger } from '../shared/logger.ts';
import { databaseErrorFields } from '../graphql/format-error.ts';
import { NEXT_EMBARGO_LIFT_SQL } from '../modules/articles/index.ts';

/**
 * What the response cache needs to know about content changes: a Postgres connection listening on
 * `byline_content_changed` (ingest announces the cache tags it touched, after commit; any other writer
 * of content tables, through the triggers of migration 202611270006, announces "everything"), a log of
 * recent changes so an answer computed across one of them is not stored, and the next embargo lift.
 */
export interface ContentChanges {
  /**
   * Whether changes are being received. While not, the cache neither serves nor stores, on purpose:
   * an ingest committed meanwhile would go unheard, so a stored answer could be stale for its whole
   * lifetime (and a draft taken down could stay served). Requests then go to the database, which
   * is what answers them when the cache is off; on reconnect everything counts as changed.
   */
  isListening(): boolean;
  /** How many changes have been seen: take it before computing an answer, check with `changedSince`. */
  position(): number;
  /** Whether a change seen after `position` touched one of `tags` (or everything, or is too old to tell). */
  changedSince(position: number, tags: ReadonlySet<string>): boolean;
  /**
   * Epoch milliseconds of the next embargo lift (`min(published_at)` of published articles still in
   * the future), or null when there is none. Known between changes; read again (and waited for) after
   * each change and once the known one has passed. Undefined when it cannot be read (not listening).
   */
  nextEmbargoLift(): Promise<number | null | undefined>;
  /**
   * Resolves once the "everything" change `id` (a writer's transaction id) has been heard and acted
   * on here, or at once when not listening (the cache then neither serves nor stores), or after
   * `timeoutMs`: a takedown answers only when no answer cached here can still hold what it removed.
   */
  heard(id: string, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

type Change = { readonly position: number; readonly tags: readonly string[] | 'everything' };

// Changes kept for the guard; an answer that took longer than this many changes is not stored.
const LOG_SIZE = 1000;

// Reconnecting: quickly at first, then at most a second apart, so listening resumes within about a
// second of PostgreSQL answering again.
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 1000;

export async function listenForContentChanges(options: {
  readonly databaseUrl: string;
  readonly logger: Logger;
  /** Called for every change, and with "everything" when listening starts, stops or restarts. */
  readonly onChange: (change: ContentChange) => void;
}): Promise<ContentChanges> {
  const { databaseUrl, logger, onChange } = options;
  let listening = false;
  let closed = false;
  let listener: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let seen = 0;
  const log: Change[] = [];
  let lift: number | null | undefined;
  let reading: Promise<number | null | undefined> | undefined;
  let delay = RETRY_FIRST_MS;
  // Logged once per outage: when listening stops, and when it resumes.
  let outage = false;

  // Recent "everything" ids and who waits for one (`heard`).
  const heardIds: string[] = [];
  const waiting = new Map<string, (() => void)[]>();
  const record = (change: ContentChange) => {
    if (change.kind === 'everything' && change.id !== undefined) {
      heardIds.push(change.id);
      if (heardIds.length > 100) heardIds.shift();
    }
    seen += 1;
    log.push({ position: seen, tags: change.kind === 'tags' ? change.tags : 'everything' });
    if (log.length > LOG_SIZE) log.shift();
    lift = undefined;
    onChange(change);
    if (change.kind === 'everything' && change.id !== undefined) {
      for (const wake of waiting.get(change.id) ?? []) wake();
      waiting.delete(change.id);
    }
    void readNextLift();
  };

  // One read at a time, on the listening connection (outside any pool and any request's SQL count); a
  // change seen while it ran makes it read again, as its answer may predate that change.
  const readNextLift = (): Promise<number | null | undefined> => {
    const client = listener;
    if (reading) return reading;
    if (!listening || !client) return Promise.resolve(undefined);
    const asked = seen;
    reading = client
      .query<{ at: number | null }>(NEXT_EMBARGO_LIFT_SQL)
      .then(
        ({ rows }) => rows[0]?.at ?? null,
        () => undefined,
      )
      .then((at) => {
        reading = undefined;
        if (seen !== asked) return readNextLift();
        if (listener === client) lift = at;
        return at;
      });
    return reading;
  };

  const listen = (): Promise<void> =>
    new Promise((resolve) => {
      const client = new pg.Client({
        connectionString: databaseUrl,
        application_name: 'byline-cache-listener',
      });
      // Our own "everything", sent once listening: when it comes back every gateway (this one too) has
      // dropped what it holds, Redis generations agree, and this connection is known to receive.
      const hello = randomUUID();
      let handled = false;
      const lost = (reason: unknown) => {
        if (handled) return;
        handled = true;
        if (listener === client) listener = undefined;
        listening = false;
        record({ kind: 'everything', id: undefined });
        void client.end().catch(() => undefined);
        resolve();
        if (closed) return;
        if (!outage) {
          outage = true;
          logger.warn(
            databaseErrorFields(reason),
            'response cache listener lost; cache off until it reconnects',
          );
        }
        retry = setTimeout(() => void listen(), delay);
        retry.unref();
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      };
      client.on('error', lost);
      client.on('end', () => lost(new Error('connection ended')));
      client.on('notification', (message) => {
        if (message.channel !== CONTENT_CHANGED_CHANNEL || listener !== client) return;
        const change = decodeContentChange(message.payload ?? '');
        if (change.kind === 'everything' && change.id === hello && !listening) {
          // Back: whatever changed while it was away is unknown, so "everything" changed (recorded).
          listening = !closed;
          delay = RETRY_FIRST_MS;
          if (outage) {
            outage = false;
            logger.info('response cache listener reconnected; cache on');
          }
          record(change);
          resolve();
          return;
        }
        record(change);
      });
      listener = client;
      // Starting never waits on a notification that does not come; the cache stays off until it does.
      setTimeout(resolve, 5000).unref();
      client
        .connect()
        .then(() => client.query(`listen ${CONTENT_CHANGED_CHANNEL}`))
        .then(() => client.query('select pg_notify($1, $2)', [CONTENT_CHANGED_CHANNEL, hello]))
        .catch(lost);
    });
  await listen();

  return {
    isListening: () => listening,
    position: () => seen,
    changedSince(position, tags) {
      if (position === seen) return false;
      if (log.length === 0 || position < log[0]!.position - 1) return true;
      for (let index = log.length - 1; index >= 0 && log[index]!.position > position; index -= 1) {
        const change = log[index]!;
        if (change.tags === 'everything' || change.tags.some((tag) => tags.has(tag))) return true;
      }
      return false;
    },
    async nextEmbargoLift() {
      if (lift === null || (lift !== undefined && lift > Date.now())) return lift;
      lift = undefined;
      return readNextLift();
    },
    heard(id, timeoutMs) {
      if (!listening || heardIds.includes(id)) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        const wakers = waiting.get(id) ?? [];
        wakers.push(() => {
          clearTimeout(timer);
          resolve();
        });
        waiting.set(id, wakers);
      });
    },
    close: async () => {
      closed = true;
      for (const wakers of waiting.values()) for (const wake of wakers) wake();
      waiting.clear();
      clearTimeout(retry);
      listening = false;
      const client = listener;
      listener = undefined;
      await client?.end().catch(() => undefined);
    },
  };
}
