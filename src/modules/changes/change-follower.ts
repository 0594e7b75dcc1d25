import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { badUserInput } from '../../shared/errors.ts';
import type { Viewer } from '../../shared/viewer.ts';
import { visibilityKey } from '../articles/index.ts';
import {
  appendDueEmbargoLifts,
  findChangesHead,
  listChanges,
  type ChangeEventRow,
  type ChangeFilter,
} from './changes.repository.ts';

/** Events read per statement, catching up or following. */
const PAGE_SIZE = 200;
/** How often a follower with subscribers appends embargo lifts that fell due. */
const LIFT_CHECK_MS = 1000;

/** Why a follow ended early: its consumer did not keep up. */
export class SlowConsumerError extends Error {
  override name = 'SlowConsumerError';
}

/**
 * Whether an event is one a filter wants: the same conditions `listChanges` puts in SQL (any of
 * the types, sections, tags, articles; absent means any), on an event already read for the viewer.
 */
export function changeMatchesFilter(event: ChangeEventRow, filter: ChangeFilter): boolean {
  if (filter.types && !filter.types.includes(event.type)) return false;
  if (filter.sectionIds && !filter.sectionIds.some((id) => event.section_ids.includes(id))) return false;
  if (filter.tagIds && !filter.tagIds.some((id) => event.tag_ids.includes(id))) return false;
  if (filter.articleIds && !filter.articleIds.includes(event.article_id)) return false;
  return true;
}

export interface FollowOptions {
  readonly viewer: Viewer;
  /** Resume after this position (a cursor's); null: from now on. */
  readonly after: number | null;
  readonly filter: ChangeFilter;
  /** Events that may wait for the consumer; one more ends the follow with `SlowConsumerError`. */
  readonly maxPending: number;
  /** Called once when the follow ends for being too slow (the transport closes the connection). */
  readonly onSlow?: () => void;
}

/**
 * The change log followed live by one process: each new batch of events is read once per
 * visibility (editor, preview, public: `changeIsVisible` decides, in SQL, through `listChanges`)
 * and handed to every subscriber of that visibility whose filter wants it, whatever their number.
 */
export interface ChangeFollower {
  /**
   * Every event after `after` (or after now), in position order, exactly once: first what the log
   * holds (read in pages), then live. Checks the cursor before it resolves (BAD_USER_INPUT on
   * `after` for an expired or unknown one).
   */
  follow(options: FollowOptions): Promise<AsyncIterableIterator<ChangeEventRow>>;
  /** Subscribers following now. */
  size(): number;
  /** Looks for new events now (a notification said there are some). */
  wake(): void;
  close(): void;
}

interface Follower {
  readonly options: FollowOptions;
  readonly classKey: string;
  /** Events handed over while catching up or not yet taken. */
  queue: ChangeEventRow[];
  /** The last position handed to the consumer (or known to hold nothing for it). */
  position: number;
  live: boolean;
  ended: boolean;
  failed: Error | undefined;
  wakeConsumer: (() => void) | undefined;
}

interface VisibilityClass {
  readonly viewer: Viewer;
  /** Up to where this class has been read; undefined until its first subscriber set it. */
  position: number | undefined;
  /** The read of the log's head that sets `position`, shared by subscribers arriving meanwhile. */
  starting?: Promise<void>;
  members: number;
}

function classKeyOf(viewer: Viewer): string {
  return viewer.previewArticleId === undefined
    ? visibilityKey(viewer)
    : `${visibilityKey(viewer)}+${viewer.previewArticleId}`;
}

export function createChangeFollower(options: {
  readonly db: Kysely<Database>;
  readonly pollMs: number;
  readonly onError?: (error: unknown) => void;
}): ChangeFollower {
  const { db, pollMs, onError } = options;
  const followers = new Set<Follower>();
  const classes = new Map<string, VisibilityClass>();
  let reading: Promise<void> | undefined;
  let again = false;
  let closed = false;
  let liftsCheckedAt = 0;

  const deliver = (follower: Follower, event: ChangeEventRow) => {
    if (follower.ended || event.position <= follower.position) return;
    if (!changeMatchesFilter(event, follower.options.filter)) return;
    follower.queue.push(event);
    if (follower.queue.length > follower.options.maxPending) {
      follower.failed = new SlowConsumerError(
        `More than ${follower.options.maxPending} events waiting for this subscriber`,
      );
      follower.ended = true;
      follower.queue = [];
      follower.options.onSlow?.();
    }
    follower.wakeConsumer?.();
  };

  const readOnce = async () => {
    if (followers.size === 0) return;
    if (Date.now() - liftsCheckedAt >= LIFT_CHECK_MS) {
      liftsCheckedAt = Date.now();
      await appendDueEmbargoLifts(db);
    }
    const head = await findChangesHead(db);
    for (const [key, visibility] of classes) {
      while (visibility.position !== undefined && visibility.position < head) {
        const page = await listChanges(db, {
          after: visibility.position,
          first: PAGE_SIZE,
          viewer: visibility.viewer,
        });
        for (const follower of followers) {
          if (follower.classKey !== key) continue;
          for (const event of page.events) deliver(follower, event);
        }
        visibility.position = page.endPosition;
        if (!page.hasNextPage) break;
      }
    }
  };

  // One read at a time; a wake during a read makes it read again right after.
  const read = (): void => {
    if (closed) return;
    if (reading) {
      again = true;
      return;
    }
    reading = readOnce()
      .catch((error: unknown) => onError?.(error))
      .finally(() => {
        reading = undefined;
        if (again) {
          again = false;
          read();
        }
      });
  };
  const timer = setInterval(read, pollMs);
  timer.unref();

  const leave = (follower: Follower) => {
    if (!followers.delete(follower)) return;
    follower.ended = true;
    follower.wakeConsumer?.();
    const visibility = classes.get(follower.classKey);
    if (visibility && --visibility.members === 0) classes.delete(follower.classKey);
  };

  return {
    size: () => followers.size,
    wake: read,
    close() {
      closed = true;
      clearInterval(timer);
      for (const follower of [...followers]) leave(follower);
    },
    async follow(followOptions) {
      const { viewer, after, filter } = followOptions;
      const classKey = classKeyOf(viewer);
      const follower: Follower = {
        options: followOptions,
        classKey,
        queue: [],
        position: after ?? 0,
        live: false,
        ended: false,
        failed: undefined,
        wakeConsumer: undefined,
      };
      // Registered before anything is read: whatever commits from here on reaches its queue, and
      // what the catch-up reads too is dropped by position (no gap, no duplicate).
      followers.add(follower);
      let visibility = classes.get(classKey);
      if (!visibility) {
        visibility = { viewer, position: undefined, members: 0 };
        classes.set(classKey, visibility);
      }
      visibility.members += 1;
      let firstPage: Awaited<ReturnType<typeof listChanges>> | undefined;
      try {
        // The class's head is read once when it starts (not once per subscriber: a burst of
        // subscribes must not queue a statement each for the pool).
        if (visibility.position === undefined) {
          const starting = visibility;
          starting.starting ??= findChangesHead(db).then((head) => {
            starting.position ??= head;
          });
          await starting.starting;
        }
        if (after === null) {
          // From where this class is read: every later event reaches this subscriber.
          follower.position = visibility.position!;
        } else {
          await appendDueEmbargoLifts(db);
          firstPage = await listChanges(db, { after, first: PAGE_SIZE, filter, viewer });
          if (after < firstPage.prunedThrough) {
            throw badUserInput(
              `Argument "after" is a cursor from before position ${firstPage.prunedThrough}, whose events have been deleted by retention: start again from Query.changes without "after"`,
              'after',
            );
          }
          if (after > firstPage.head) {
            throw badUserInput(
              `Argument "after" is a cursor past the end of the change log (position ${after}, the log ends at ${firstPage.head}): expected a cursor this server handed out`,
              'after',
            );
          }
        }
      } catch (error) {
        leave(follower);
        throw error;
      }

      const take = (): Promise<ChangeEventRow | undefined> => {
        // A slow follower's connection is being closed (`onSlow`): its stream just ends.
        const next = (): ChangeEventRow | undefined | null => {
          if (follower.failed) return undefined;
          const event = follower.queue.shift();
          if (event) return event;
          return follower.ended ? undefined : null;
        };
        const now = next();
        if (now !== null) return Promise.resolve(now);
        return new Promise((resolve) => {
          follower.wakeConsumer = () => {
            const event = next();
            if (event === null) return;
            follower.wakeConsumer = undefined;
            resolve(event);
          };
        });
      };

      // Written out rather than an async generator: `return()` (the client completed, the socket
      // closed) must end a consumer waiting for the next event at once, not after that event.
      let page = firstPage;
      let index = 0;
      let position = after ?? follower.position;
      const done = { done: true, value: undefined } as const;
      const iterator: AsyncIterableIterator<ChangeEventRow> = {
        [Symbol.asyncIterator]() {
          return iterator;
        },
        async next() {
          while (!follower.live) {
            if (follower.ended) return done;
            if (page && index < page.events.length) {
              const event = page.events[index++]!;
              position = event.position;
              return { done: false, value: event };
            }
            if (page) position = Math.max(position, page.endPosition);
            if (page?.hasNextPage) {
              page = await listChanges(db, { after: position, first: PAGE_SIZE, filter, viewer });
              index = 0;
              continue;
            }
            // Caught up: from here on the live queue, without what the catch-up already gave.
            page = undefined;
            follower.position = position;
            follower.live = true;
            follower.queue = follower.queue.filter((event) => event.position > position);
          }
          const event = await take();
          if (!event) {
            leave(follower);
            return done;
          }
          follower.position = event.position;
          return { done: false, value: event };
        },
        async return() {
          leave(follower);
          return done;
        },
      };
      read();
      return iterator;
    },
  };
}
