import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const bylineBin = fileURLToPath(new URL('../../bin/byline.mjs', import.meta.url));

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion, stdin closed; env adds to (or, with '', blanks) this process's environment. */
export function run(
  command: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `byline …` on embedded, in-memory PGlite (DATABASE_URL blanked), output piped: not a terminal. */
export function byline(args: readonly string[], env: Record<string, string> = {}): Promise<RunResult> {
  return run(process.execPath, [bylineBin, ...args], { DATABASE_URL: '', BYLINE_DATA_DIR: '', ...env });
}
