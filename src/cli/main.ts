import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, configReference, loadConfig, type Config } from '../config.ts';
import { migrateDown, migrateToLatest, migrationStatus } from '../db/migrate.ts';
import { openDatabase } from '../db/open-database.ts';
import { ingestPaths } from '../ingest/ingest-paths.ts';
import { partnerUsage, runPartnerCommand } from '../modules/partners/partner-command.ts';
import { createLogger } from '../shared/logger.ts';
import { startGateway } from '../server/start-gateway.ts';
import { createProgressBar, type ProgressBar } from './progress-bar.ts';

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failure: 1, usage: 2, config: 78 } as const;

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

export interface Command {
  readonly summary: string;
  readonly usage: string;
  readonly help: string;
  /** Flags besides -h/--help, which every command takes. */
  readonly flags?: Record<string, Flag>;
  /**
   * Resolves with the exit code (EXIT). `args` are the positionals, `flags` the parsed flags and
   * `argv` everything after the command name, for commands that parse their own options.
   */
  run(args: string[], config: Config, flags: Flags, argv: string[]): Promise<number>;
}

// The command table. Other commands slot in as entries here: `partner` (partner keys) and `bench:data`
// (benchmark data generator; long work should show createProgressBar from ./progress-bar.ts).
export const commands: Record<string, Command> = {
  serve: {
    summary: 'Run the gateway (applies pending migrations first)',
    usage: 'byline serve [--port <n>] [--host <address>]',
    help: 'Serves GraphQL at /graphql on PORT (default 4000), the playground at /playground (not in production\nunless BYLINE_PLAYGROUND=true) and metrics at /metrics. With DATABASE_URL unset it runs on embedded\nPGlite and loads the demo content into an empty database (BYLINE_DEMO=false starts empty).',
    flags: {
      port: {
        type: 'string',
        short: 'p',
        env: 'PORT',
        description: 'TCP port to listen on (0 picks a free one)',
      },
      host: { type: 'string', env: 'HOST', description: 'Interface to bind to' },
    },
    async run(args, config) {
      if (args.length > 0) {
        console.error(`byline serve: expected no arguments, got "${args.join(' ')}"`);
        return EXIT.usage;
      }
      const logger = createLogger(config.logLevel);
      const running = await startGateway(config, logger);
      console.log(`Byline ready at ${running.url} (database: ${running.database.engine})`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          logger.info({ signal }, 'shutting down');
          running.stop().then(resolve, (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            resolve();
          });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      return EXIT.ok;
    },
  },
  migrate: {
    summary: 'Apply, revert or list migrations',
    usage: 'byline migrate [up|down|status]',
    help: 'up (default): apply every pending migration.\ndown: revert the latest applied migration.\nstatus: list migrations and whether each ran.',
    async run(args, config) {
      const action = args[0] ?? 'up';
      if (!['up', 'down', 'status'].includes(action) || args.length > 1) {
        console.error(`byline migrate: expected up, down or status, got "${args.join(' ')}"`);
        return EXIT.usage;
      }
      const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        if (action === 'status') {
          const { migrations } = await migrationStatus(database.db);
          for (const m of migrations) console.log(`${m.executedAt ? 'applied' : 'pending'}  ${m.name}`);
          return EXIT.ok;
        }
        const results = action === 'up' ? await migrateToLatest(database.db) : await migrateDown(database.db);
        if (results.length === 0)
          console.log(action === 'up' ? 'Nothing to apply: up to date.' : 'Nothing to revert.');
        for (const r of results)
          console.log(`${action === 'up' ? 'applied' : 'reverted'}  ${r.migrationName}`);
        return EXIT.ok;
      } finally {
        await database.close();
      }
    },
  },
  ingest: {
    summary: 'Ingest article JSON files or directories',
    usage: 'byline ingest [--quiet | --verbose] <file|dir>…',
    help: 'Validates each file (docs/content-format.md) and writes each valid article in its own transaction.\nExits 1 when any file failed; the good files still land. On a terminal a progress bar shows the rate\nand ETA; piped, it prints one line per file instead (--quiet: failures and the summary only).',
    flags: {
      quiet: { type: 'boolean', short: 'q', description: 'Print only failures and the summary' },
      verbose: { type: 'boolean', short: 'v', description: 'Print one line per file, on a terminal too' },
    },
    async run(args, config, flags) {
      if (args.length === 0) {
        console.error('byline ingest: expected at least one file or directory');
        return EXIT.usage;
      }
      const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        await migrateToLatest(database.db);
        const interactive = Boolean(process.stderr.isTTY) && !flags['quiet'];
        const perFile = Boolean(flags['verbose']) || (!interactive && !flags['quiet']);
        let bar: ProgressBar | undefined;
        const summary = await ingestPaths(database.db, args, (result, _index, total) => {
          bar ??= interactive
            ? createProgressBar(process.stderr, total, { label: 'ingest', unit: 'files' })
            : undefined;
          const lines =
            result.outcome === 'failed'
              ? result.problems
              : perFile
                ? [`${result.outcome.padEnd(9)} ${result.slug}  (${result.file})`]
                : [];
          for (const line of lines) {
            if (bar) bar.log(line);
            else if (result.outcome === 'failed') console.error(line);
            else console.log(line);
          }
          bar?.tick();
        });
        bar?.finish();
        const failed = summary.files.filter((f) => f.outcome === 'failed').map((f) => f.file);
        console.log(
          `${summary.landed} landed, ${summary.failed} failed${failed.length ? `: ${failed.join(', ')}` : ''}`,
        );
        return summary.failed > 0 ? EXIT.failure : EXIT.ok;
      } finally {
        await database.close();
      }
    },
  },
  'bench:data': {
    summary: 'Build the seeded benchmark data set in a PostgreSQL database',
    usage:
      'byline bench:data --articles <n> [--seed <n>] [--database-url <url>] [--method bulk|ingest] [--concurrency <n>] [--fresh]',
    help: 'Generates n articles deterministically from the seed (Zipf-popular people and tags) into byline_bench\non 127.0.0.1:5432 unless --database-url says otherwise: by default in bulk (the rows ingest would write,\nbatched; an empty database or --fresh), or with --method ingest through ingest, one article at a time.\nShows a progress bar with rate and ETA on a terminal. See docs/performance.md.',
    flags: {
      articles: { type: 'string', description: 'How many articles to generate' },
      seed: { type: 'string', description: 'PRNG seed (default 42): the same seed builds the same data' },
      'database-url': { type: 'string', description: 'PostgreSQL database to fill (created if missing)' },
      method: {
        type: 'string',
        description: 'bulk (default: batched, into an empty database) or ingest (one article at a time)',
      },
      concurrency: { type: 'string', description: 'Articles ingested at once (default 1, ingest only)' },
      fresh: { type: 'boolean', description: 'Drop and recreate the database first' },
    },
    async run(_args, _config, _flags, argv) {
      // The generator lives with the benchmark; loaded only when asked for.
      const { main: buildDataset } = await import('../../bench/dataset/load.ts');
      return buildDataset(argv);
    },
  },
  partner: {
    summary: 'Create, list, revoke or rotate partner API keys',
    usage: partnerUsage,
    help: 'create prints the new key once (only its SHA-256 hash is stored); rotate replaces it and the old\nkey fails at once; revoke disables the partner at once. Scopes: preview (drafts and embargoed\narticles), body (Article.body), developer. Origins are the sites allowed to call and frame.',
    flags: {
      origin: {
        type: 'string',
        multiple: true,
        description: 'An origin allowed to call and frame (repeatable)',
      },
      scope: {
        type: 'string',
        multiple: true,
        description: 'A right: preview, body or developer (repeatable)',
      },
      'rate-limit': { type: 'string', description: 'Requests per minute for this key' },
      'cost-budget': { type: 'string', description: 'Query cost budget for this key' },
    },
    async run(_args, config, _flags, argv) {
      const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        await migrateToLatest(database.db);
        return await runPartnerCommand(database.db, argv, console);
      } finally {
        await database.close();
      }
    },
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return [
    'Usage: byline <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'Options: -h, --help (on any command), --version',
    `Exit codes: ${EXIT.ok} ok, ${EXIT.failure} failed, ${EXIT.usage} bad usage, ${EXIT.config} bad configuration.`,
    '',
    'Run "byline <command> --help" for a command. Configuration comes from the environment (docs/configuration.md):',
    ...configReference.map((entry) => `  ${entry.variable} (default ${entry.defaultText})`),
  ].join('\n');
}

function commandHelp(command: Command): string {
  const flags = Object.entries(command.flags ?? {}).map(([name, flag]) => {
    const spelled = `${flag.short ? `-${flag.short}, ` : ''}--${name}${flag.type === 'string' ? ' <value>' : ''}`;
    return [spelled, `${flag.description}${flag.env ? ` (overrides ${flag.env})` : ''}`] as const;
  });
  flags.push(['-h, --help', 'Show this help']);
  const width = Math.max(...flags.map(([spelled]) => spelled.length));
  return [
    `Usage: ${command.usage}`,
    '',
    `${command.summary}.`,
    command.help,
    '',
    'Options:',
    ...flags.map(([spelled, description]) => `  ${spelled.padEnd(width)}  ${description}`),
  ].join('\n');
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? console.error : console.log)(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    console.log(version());
    return EXIT.ok;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    console.error(`byline: unknown command "${name}"\n\n${usage()}`);
    return EXIT.usage;
  }
  let parsed: { values: Flags; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(
          Object.entries(command.flags ?? {}).map(([flag, spec]) => [
            flag,
            {
              type: spec.type,
              ...(spec.short ? { short: spec.short } : {}),
              ...(spec.multiple ? { multiple: true } : {}),
            },
          ]),
        ),
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    console.error(`byline ${name}: ${(error as Error).message}\n\n${commandHelp(command)}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values['help']) {
    console.log(commandHelp(command));
    return EXIT.ok;
  }
  const overrides: Record<string, string> = {};
  for (const [flag, spec] of Object.entries(command.flags ?? {})) {
    const value = values[flag];
    if (spec.env && typeof value === 'string') overrides[spec.env] = value;
  }
  let config: Config;
  try {
    config = loadConfig({ ...env, ...overrides });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return EXIT.config;
    }
    throw error;
  }
  try {
    return await command.run(positionals, config, values, rest);
  } catch (error) {
    // A clear line for scripts and people; the stack only when asked for (LOG_LEVEL=debug).
    console.error(`byline ${name}: ${error instanceof Error ? error.message : String(error)}`);
    if (config.logLevel === 'debug' || config.logLevel === 'trace') console.error(error);
    return EXIT.failure;
  }
}
