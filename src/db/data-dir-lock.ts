import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

/** The lock file a process holding a PGlite data directory keeps inside it: its pid, one line. */
export const DATA_DIR_LOCK_FILE = 'byline.lock';

/** A second process tried to open a PGlite data directory that another one holds. */
export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
  readonly dataDir: string;
  readonly holderPid: number;
  constructor(dataDir: string, holderPid: number) {
    super(
      `PGlite data directory ${dataDir} is in use by process ${holderPid}: embedded PGlite allows one ` +
        `process per directory, and a second copy would lose writes. Stop process ${holderPid}, or send ` +
        `writes through the running server (byline ingest/partner find it on its URL; see --server), or ` +
        `use PostgreSQL (DATABASE_URL) for several processes.`,
    );
    this.dataDir = dataDir;
    this.holderPid = holderPid;
  }
}

export interface DataDirLock {
  readonly file: string;
  /** Removes the lock file if it is still ours; safe to call twice. */
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the directory for this process, or throws `DataDirLockedError` naming the holder. PGlite
 * itself does not lock its data directory (one WASM Postgres per process), so two processes on one
 * directory would each keep their own copy and overwrite each other's. A lock whose holder is dead
 * (killed, crashed) is stale and taken over. The file is created with `wx`, so two openers racing
 * for a free directory cannot both win.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const dir = path.resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, DATA_DIR_LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(file);
      if (holder !== undefined && holder !== process.pid && alive(holder)) {
        throw new DataDirLockedError(dir, holder);
      }
      if (holder === process.pid) throw new DataDirLockedError(dir, holder);
      // Stale (dead holder, or a file left half-written): take it over.
      try {
        unlinkSync(file);
      } catch {
        // Another opener removed it first; the next attempt decides.
      }
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.off('exit', release);
      if (readHolder(file) === process.pid) {
        try {
          unlinkSync(file);
        } catch {
          // Already gone.
        }
      }
    };
    // A process that exits without closing (process.exit) still frees the directory.
    process.on('exit', release);
    return { file, release };
  }
  throw new Error(`Could not take the lock ${file}: other processes keep taking it`);
}
