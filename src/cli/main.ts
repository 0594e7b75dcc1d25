import { parseArgs } from 'node:util';
import { ConfigError, configReference, loadConfig, type Config } from '../config.ts';
import { migrateDown, migrateToLatest, migrationStatus } from '../db/migrate.ts';
import { openDatabase } from '../db/open-database.ts';
import { ingestPaths } from '../ingest/ingest-paths.ts';
import { partnerUsage, runPartnerCommand } from '../modules/partners/partner-command.ts';
import { createLogger } from '../shared/logger.ts';
import { startGateway } from '../server/start-gateway.ts';

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failure: 1, usage: 2, config: 78 } as const;

interface Command {
  readonly summary: string;
  readonly usage: string;
  readonly help: string;
  /** `args`: positionals; `argv`: everything after the command name, for commands with options. */
  run(args: string[], config: Config, argv: string[]): Promise<number>;
}

const commands: Record<string, Command> = {
  serve: {
    summary: 'Run the gateway (applies pending migrations first)',
    usage: 'byline serve',
    help: 'Serves GraphQL at /graphql on PORT (default 4000). With DATABASE_URL unset it runs on embedded\nPGlite and loads the demo content into an empty database (BYLINE_DEMO=false starts empty).',
    async run(_args, config) {
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
      if (!['up', 'down', 'status'].includes(action)) {
        console.error(`byline migrate: expected up, down or status, got "${action}"`);
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
    usage: 'byline ingest <file|dir>…',
    help: 'Validates each file (docs/content-format.md) and writes each valid article in its own transaction.\nExits 1 when any file failed; the good files still land.',
    async run(args, config) {
      if (args.length === 0) {
        console.error('byline ingest: expected at least one file or directory');
        return EXIT.usage;
      }
      const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        await migrateToLatest(database.db);
        const summary = await ingestPaths(database.db, args, (result) => {
          if (result.outcome === 'failed') for (const problem of result.problems) console.error(problem);
          else console.log(`${result.outcome.padEnd(9)} ${result.slug}  (${result.file})`);
        });
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
  partner: {
    summary: 'Create, list, revoke or rotate partner API keys',
    usage: partnerUsage,
    help: 'create prints the new key once (only its SHA-256 hash is stored); rotate replaces it and the old\nkey fails at once; revoke disables the partner at once. Scopes: preview (drafts and embargoed\narticles), body (Article.body), developer. Origins are the sites allowed to call and frame.',
    async run(_args, config, argv) {
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
    'Run "byline <command> --help" for a command. Configuration comes from the environment:',
    ...configReference.map((entry) => `  ${entry.variable} (default ${entry.defaultText})`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = commands[name];
  if (!command) {
    console.error(`byline: unknown command "${name}"\n\n${usage()}`);
    return EXIT.usage;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    options: { help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: false,
  });
  if (values.help) {
    console.log(`Usage: ${command.usage}\n\n${command.summary}.\n${command.help}`);
    return EXIT.ok;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return EXIT.config;
    }
    throw error;
  }
  return command.run(positionals, config, rest);
}
