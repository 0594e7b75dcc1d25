import type { Config } from '../config.ts';

/** Exit codes scripts can rely on; a command stopped by a signal exits 128 + its number, as shells do. */
export const EXIT = { ok: 0, failure: 1, usage: 2, config: 78, sigint: 130, sigterm: 143 } as const;

/** A command-line flag. Flags named after a setting (`env`) override that environment variable. */
export interface Flag {
  readonly type: 'string' | 'boolean';
  /** The flag may be given more than once; its value is then a list. */
  readonly multiple?: boolean;
  readonly short?: string;
  readonly description: string;
  readonly env?: string;
}

export type Flags = Record<string, string | boolean | (string | boolean)[] | undefined>;

/**
 * Resolves with the exit code (EXIT). `args` are the positionals, `flags` the parsed flags and
 * `argv` everything after the command name, for commands that parse their own options.
 */
export type RunCommand = (args: string[], config: Config, flags: Flags, argv: string[]) => Promise<number>;

export interface Command {
  readonly summary: string;
  readonly usage: string;
  readonly help: string;
  /** Flags besides -h/--help, which every command takes. */
  readonly flags?: Record<string, Flag>;
  /** Imports the implementation, only when the command runs: `byline --help` loads none of them. */
  load(): Promise<RunCommand>;
}
