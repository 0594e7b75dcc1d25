import type pg from 'pg';
import type { SnapshotSession } from './request-database.ts';

/**
 * Where each request's snapshot reads: a healthy streaming replica when one is close enough to the
 * primary, else the primary. Writes, migrations, LISTEN and statements outside a request snapshot
 * always go to the primary.
 *
 * Read-your-writes by LSN, not by a sticky time window: after a change (`noteWrite`), the primary's
 * WAL position is read (`pg_current_wal_lsn()`), and a replica serves again only once its
 * `pg_last_wal_replay_lsn()` has reached it. A window is a guess, too short under lag (stale answers)
 * and too long otherwise; the LSN says exactly when a replica has the change
 * (https://www.postgresql.org/docs/15/functions-admin.html#FUNCTIONS-RECOVERY-INFO-TABLE).
 *
 * Lag in time, from the same positions: each check samples the primary's LSN with its time; a replica's
 * lag is how long ago the newest sample it has replayed was taken (0 when it has replayed the latest).
 * An idle primary writes no WAL, so a replica with nothing to replay is never counted as lagging.
 */
export interface ReplicaRouter {
  /** Opens a request snapshot on a chosen replica (falling back to the primary), or on the primary. */
  openSnapshot(open: (pool: pg.Pool) => Promise<SnapshotSession>): Promise<SnapshotSession>;
  noteWrite(): void;
  /** Per replica: health, lag, position; for metrics. */
  status(): readonly ReplicaStatus[];
  /** Request snapshots opened, by pool (`primary` or a replica's name). */
  readonly served: ReadonlyMap<string, number>;
  /** Snapshots sent to the primary although replicas exist, by reason. */
  readonly fallbacks: ReadonlyMap<FallbackReason, number>;
  close(): Promise<void>;
}

export type FallbackReason = 'unhealthy' | 'lagging' | 'behind-write' | 'failed';

export interface ReplicaStatus {
  readonly name: string;
  readonly healthy: boolean;
  /** Milliseconds behind the primary at the last check; undefined before the first. */
  readonly lagMs: number | undefined;
  /** Why it is not used, when it is not. */
  readonly problem: string | undefined;
}

interface Replica {
  readonly name: string;
  readonly pool: pg.Pool;
  healthy: boolean;
  lagMs: number | undefined;
  replayLsn: bigint | undefined;
  problem: string | undefined;
}

/** `host:port/database` of a replica URL, never its credentials: the label in metrics and logs. */
export function replicaName(url: URL | string): string {
  const parsed = new URL(String(url));
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

/** `16/B374D848` → 0x16B374D848 (https://www.postgresql.org/docs/15/datatype-pg-lsn.html). */
function lsnValue(text: string | null | undefined): bigint | undefined {
  const match = /^([0-9A-F]+)\/([0-9A-F]+)$/i.exec(text ?? '');
  return match ? (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`) : undefined;
}

export function createReplicaRouter(options: {
  readonly primary: pg.Pool;
  readonly replicas: readonly { readonly name: string; readonly pool: pg.Pool }[];
  readonly maxLagMs: number;
  readonly checkIntervalMs: number;
}): ReplicaRouter {
  const replicas: Replica[] = options.replicas.map((replica) => ({
    ...replica,
    healthy: false,
    lagMs: undefined,
    replayLsn: undefined,
    problem: 'not checked yet',
  }));
  const served = new Map<string, number>();
  const fallbacks = new Map<FallbackReason, number>();
  const count = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);
  // Primary positions with the time they were read, oldest first.
  const samples: { lsn: bigint; at: number }[] = [];
  // Replicas must have replayed this far to serve (the primary's position after the last change).
  let requiredLsn = 0n;
  // A change whose position is being read: until then, nobody is known to have it.
  let writesPending = 0;
  let next = 0;
  let closed = false;

  const primaryLsn = async (): Promise<bigint | undefined> => {
    const { rows } = await options.primary.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn');
    return lsnValue(rows[0]?.lsn);
  };

  const checkReplica = async (replica: Replica) => {
    try {
      const { rows } = await replica.pool.query<{ recovering: boolean; lsn: string | null }>(
        'select pg_is_in_recovery() as recovering, pg_last_wal_replay_lsn()::text as lsn',
      );
      const row = rows[0];
      const lsn = lsnValue(row?.lsn);
      if (!row?.recovering || lsn === undefined) {
        replica.healthy = false;
        replica.problem = 'not a streaming replica (not in recovery)';
        return;
      }
      replica.replayLsn = lsn;
      const now = Date.now();
      let reached: number | undefined;
      for (const sample of samples) if (sample.lsn <= lsn) reached = sample.at;
      replica.lagMs = reached === undefined ? now - (samples[0]?.at ?? now) : Math.max(0, now - reached);
      if (samples.length > 0 && lsn >= samples[samples.length - 1]!.lsn) replica.lagMs = 0;
      replica.healthy = true;
      replica.problem = undefined;
    } catch (error) {
      replica.healthy = false;
      replica.problem = `unreachable: ${(error as Error).message}`;
    }
  };

  const check = async () => {
    try {
      const lsn = await primaryLsn();
      if (lsn !== undefined) {
        const now = Date.now();
        samples.push({ lsn, at: now });
        // Enough history to measure lag past the bound, and never less than one sample.
        const keepFrom = now - Math.max(options.maxLagMs * 4, options.checkIntervalMs * 4);
        while (samples.length > 1 && samples[0]!.at < keepFrom) samples.shift();
      }
    } catch {
      // The primary's trouble is the primary pool's to report; replicas are checked all the same.
    }
    await Promise.all(replicas.map(checkReplica));
  };

  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (closed) return;
    timer = setTimeout(() => void check().finally(schedule), options.checkIntervalMs);
    timer.unref();
  };
  void check().finally(schedule);

  const choose = (): Replica | FallbackReason => {
    if (writesPending > 0) return 'behind-write';
    let reason: FallbackReason = 'unhealthy';
    for (let offset = 0; offset < replicas.length; offset += 1) {
      const replica = replicas[(next + offset) % replicas.length]!;
      if (!replica.healthy) continue;
      if (replica.lagMs === undefined || replica.lagMs > options.maxLagMs) {
        reason = 'lagging';
        continue;
      }
      if (replica.replayLsn === undefined || replica.replayLsn < requiredLsn) {
        if (reason !== 'lagging') reason = 'behind-write';
        continue;
      }
      next = (next + offset + 1) % replicas.length;
      return replica;
    }
    return reason;
  };

  return {
    async openSnapshot(open) {
      const chosen = choose();
      if (typeof chosen === 'string') {
        count(fallbacks, chosen);
        count(served, 'primary');
        return open(options.primary);
      }
      let session: SnapshotSession;
      try {
        session = await open(chosen.pool);
      } catch (error) {
        chosen.healthy = false;
        chosen.problem = `failed: ${(error as Error).message}`;
        count(fallbacks, 'failed');
        count(served, 'primary');
        return open(options.primary);
      }
      count(served, chosen.name);
      // A replica that fails the request's first statement (it went away since the last check): that
      // statement, and the rest of the request, go to the primary. Nothing was read yet, so the answer
      // still comes from one snapshot. Later failures fail the request (503) like any lost connection.
      let fallback: Promise<SnapshotSession> | undefined;
      let first: Promise<unknown> | undefined;
      return {
        query: async (text, values) => {
          if (first) {
            // The loaders ask concurrently: later statements wait to learn where the first one ran.
            await first.catch(() => undefined);
            return fallback ? (await fallback).query(text, values) : session.query(text, values);
          }
          const running = session.query(text, values).catch(async (error: unknown) => {
            chosen.healthy = false;
            chosen.problem = `failed: ${(error as Error).message}`;
            count(fallbacks, 'failed');
            void session.end();
            fallback = open(options.primary);
            return (await fallback).query(text, values);
          });
          first = running;
          return running;
        },
        end: async () => {
          if (fallback) {
            await session.end();
            await (await fallback.catch(() => undefined))?.end();
            return;
          }
          await session.end();
        },
      };
    },
    noteWrite() {
      writesPending += 1;
      primaryLsn()
        .then(
          (lsn) => {
            if (lsn !== undefined && lsn > requiredLsn) requiredLsn = lsn;
          },
          // Unknown position: every replica must catch up with whatever the primary has by the next read.
          () => undefined,
        )
        .finally(() => {
          writesPending -= 1;
          void Promise.all(replicas.map(checkReplica));
        });
    },
    status: () =>
      replicas.map(({ name, healthy, lagMs, problem }) => ({
        name,
        healthy: healthy && lagMs !== undefined && lagMs <= options.maxLagMs,
        lagMs,
        problem: problem ?? (lagMs !== undefined && lagMs > options.maxLagMs ? 'lagging' : undefined),
      })),
    served,
    fallbacks,
    close: async () => {
      closed = true;
      clearTimeout(timer);
      await Promise.all(replicas.map((replica) => (replica.pool.ending ? undefined : replica.pool.end())));
    },
  };
}
