import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';

/**
 * What a gateway on embedded PGlite leaves for the CLI on the same machine: where it listens and a key
 * of its own with the editor and admin scopes. Embedded PGlite has one writer, the server, so the
 * CLI must write through it; this file is how `byline ingest` finds it without configuration.
 */
export interface ServerAddress {
  readonly pid: number;
  /** Base URL, like `http://127.0.0.1:4000`. */
  readonly url: string;
  readonly key: string;
  readonly dataDir: string | null;
}

export function defaultRuntimeDir(): string {
  let user: string;
  try {
    user = String(userInfo().uid);
  } catch {
    user = 'user';
  }
  return path.join(tmpdir(), `byline-${user}`);
}

export function serverAddressFile(runtimeDir: string | undefined, port: number): string {
  return path.join(runtimeDir ?? defaultRuntimeDir(), `server-${port}.json`);
}

/** Written readable by this user only: it holds a key. */
export function writeServerAddress(file: string, address: ServerAddress): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(address)}\n`, { mode: 0o600 });
}

/** The address in `file`, or undefined when there is none, it is unreadable, or its process is gone. */
export function readServerAddress(file: string): ServerAddress | undefined {
  let address: ServerAddress;
  try {
    address = JSON.parse(readFileSync(file, 'utf8')) as ServerAddress;
  } catch {
    return undefined;
  }
  if (typeof address.url !== 'string' || typeof address.key !== 'string') return undefined;
  try {
    process.kill(address.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return address;
}

/** Removes the file if it still names this process (a newer server on the port may have replaced it). */
export function removeServerAddress(file: string): void {
  try {
    const address = JSON.parse(readFileSync(file, 'utf8')) as ServerAddress;
    if (address.pid !== process.pid) return;
    rmSync(file, { force: true });
  } catch {
    // Already gone.
  }
}
