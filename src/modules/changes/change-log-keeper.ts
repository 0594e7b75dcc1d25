import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { Logger } from '../../shared/logger.ts';
import { NEXT_EMBARGO_LIFT_SQL } from '../articles/index.ts';
import { appendDueEmbargoLifts, pruneChanges } from './changes.repository.ts';

export interface ChangeLogKeeper {
  /** Stops the timers and waits for a round in progress. */
  close(): Promise<void>;
}

/**
 * What a serving process does for the change log without being asked: appends the `published` event
 * of each embargo as it lifts (so followers woken by `byline_changes` learn of it then, not at their
 * next read), and deletes events past the retention. Every instance runs it; the log's lock keeps two
 * from appending one lift twice, and a prune is one cheap delete.
 */
export function startChangeLogKeeper(options: {
  readonly db: Kysely<Database>;
  readonly retentionMs: number;
  readonly logger: Logger;
  /** Longest wait between rounds: an embargo ingested meanwhile is scheduled at the next one. */
  readonly pollMs?: number;
  readonly pruneEveryMs?: number;
}): ChangeLogKeeper {
  const { db, retentionMs, logger, pollMs = 30_000, pruneEveryMs = 3_600_000 } = options;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;
  let nextPrune = 0;
  let failing = false;

  const run = async (): Promise<number> => {
    await appendDueEmbargoLifts(db);
    if (Date.now() >= nextPrune) {
      const deleted = await pruneChanges(db, retentionMs);
      if (deleted > 0) logger.info({ deleted }, 'change log: events past the retention deleted');
      nextPrune = Date.now() + pruneEveryMs;
    }
    const { rows } = await sql<{ at: number | null }>`${sql.raw(NEXT_EMBARGO_LIFT_SQL)}`.execute(db);
    const at = rows[0]?.at ?? null;
    // A few milliseconds past the lift, so the clock has passed it when the round runs.
    return at === null ? pollMs : Math.min(pollMs, Math.max(0, at - Date.now() + 5));
  };

  const schedule = (ms: number) => {
    if (closed) return;
    timer = setTimeout(() => {
      round = run().then(
        (next) => {
          if (failing) logger.info('change log keeper: database answers again');
          failing = false;
          schedule(next);
        },
        (error: unknown) => {
          if (!failing) logger.warn({ err: error }, 'change log keeper: round failed; retrying');
          failing = true;
          schedule(pollMs);
        },
      );
    }, ms);
    timer.unref();
  };
  schedule(0);

  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      await round;
    },
  };
}
