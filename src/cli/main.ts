import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, configReference, loadConfig, type Config } from '../config.ts';
import { partnerUsage } from './partner-usage.ts';
import { webhooksUsage } from './webhooks-usage.ts';
import { EXIT, type Command, type Flags } from './command.ts';

export { EXIT, type Command, type Flag, type Flags } from './command.ts';

// The command table: what --help shows. Each implementation is imported only when its command runs.
export const commands: Record<string, Command> = {
  serve: {
    summary: 'Run the gateway (applies pending migrations first)',
    usage: 'byline serve [--port <n>] [--host <address>]',
    help: 'Serves GraphQL at /graphql on PORT (default 4000), the playground at /playground (not in production\nunless BYLINE_PLAYGROUND=true) and metrics at /metrics. With DATABASE_URL unset it runs on embedded\nPGlite and loads the demo content into an empty database (BYLINE_DEMO=false starts empty).\nSIGTERM or SIGINT drains it: requests in flight finish within BYLINE_SHUTDOWN_GRACE_MS.',
    flags: {
      port: {
        type: 'string',
        short: 'p',
        env: 'PORT',
        description: 'TCP port to listen on (0 picks a free one)',
      },
      host: { type: 'string', env: 'HOST', description: 'Interface to bind to' },
    },
    load: async () => (await import('./serve-command.ts')).runServe,
  },
  migrate: {
    summary: 'Apply, revert or list migrations',
    usage: 'byline migrate [up|down|status]',
    help: 'up (default): apply every pending migration.\ndown: revert the latest applied migration.\nstatus: list migrations and whether each ran.',
    load: async () => (await import('./migrate-command.ts')).runMigrate,
  },
  ingest: {
    summary: 'Ingest article JSON files or directories',
    usage: 'byline ingest [--quiet | --verbose] [--bulk [--batch-size N]] <file|dir>…',
    help: 'Validates each file (docs/content-format.md) and writes each valid article in its own transaction.\nExits 1 when any file failed; the good files still land. On a terminal a progress bar shows the rate\nand ETA; piped, it prints one line per file instead (--quiet: failures and the summary only).\nSIGTERM or SIGINT stops it after the current article and prints what landed (exit 143 or 130).\nOne writer: with a server running on this machine (on embedded PGlite it leaves its address in\nBYLINE_RUNTIME_DIR) or named in --server/BYLINE_SERVER_URL, the files go through its API; otherwise\nstraight to DATABASE_URL or BYLINE_DATA_DIR. Writing to an in-memory database of its own is refused.\n--bulk writes a thousand articles per transaction straight into the database (an archive import, into an\nempty or a live one): files already stored unchanged are skipped, so a re-run after a stop or a kill resumes.',
    flags: {
      quiet: { type: 'boolean', short: 'q', description: 'Print only failures and the summary' },
      verbose: { type: 'boolean', short: 'v', description: 'Print one line per file, on a terminal too' },
      server: {
        type: 'string',
        env: 'BYLINE_SERVER_URL',
        description: 'Write through the gateway at this URL (with BYLINE_API_KEY)',
      },
      bulk: {
        type: 'boolean',
        description: 'Write in batches of 1,000 articles per transaction (archive import)',
      },
      'batch-size': { type: 'string', description: 'With --bulk: articles per transaction (default 1000)' },
    },
    load: async () => (await import('./ingest-command.ts')).runIngest,
  },
  import: {
    summary: 'Turn raw news pages (HTML or text dumps) into article documents',
    usage: 'byline import [--out <dir>] [--ingest [--publish]] [--quiet] <file|dir>…',
    help: "Extracts each page's story, metadata, people, organizations, related links and quotes with their\nspeakers (docs/import.md). Writes <slug>.json (the content format) and <slug>.review.md (what was found,\nflagged and dropped as page chrome) to --out (default ./imported) for review. --ingest also ingests each\ndocument as a draft; --ingest --publish as published. A quote whose speaker is unsure is flagged in the\nreview report, never given a guessed speaker. Exits 1 when any page failed; the others are still written.",
    flags: {
      out: { type: 'string', short: 'o', description: 'Directory for documents and review reports' },
      ingest: { type: 'boolean', description: 'Ingest each document (as a draft unless --publish)' },
      publish: { type: 'boolean', description: 'With --ingest: ingest as published' },
      quiet: { type: 'boolean', short: 'q', description: 'Print only failures and the summary' },
    },
    load: async () => (await import('./import-command.ts')).runImport,
  },
  partner: {
    summary: 'Create, list, revoke or rotate partner API keys',
    usage: partnerUsage,
    help: 'create prints the new key once (only its SHA-256 hash is stored); rotate replaces it and the old\nkey fails at once; revoke disables the partner at once. Scopes: preview (drafts and embargoed\narticles), body (Article.body), developer, editor (the write API: upserts, corrections, takedowns),\nadmin (partners); none by default. Origins are the sites allowed to call and frame. Like ingest, it\nworks through a running server when there is one.',
    flags: {
      origin: {
        type: 'string',
        multiple: true,
        description: 'An origin allowed to call and frame (repeatable)',
      },
      scope: {
        type: 'string',
        multiple: true,
        description: 'A right: preview, body, developer, editor or admin (repeatable)',
      },
      'rate-limit': { type: 'string', description: 'Requests per minute for this key' },
      'cost-budget': { type: 'string', description: 'Query cost budget for this key' },
      server: {
        type: 'string',
        env: 'BYLINE_SERVER_URL',
        description: 'Write through the gateway at this URL (with BYLINE_API_KEY)',
      },
    },
    load: async () => (await import('./partner-command.ts')).runPartner,
  },
  takedown: {
    summary: 'Take an article down for legal reasons (final)',
    usage: 'byline takedown <slug> --reason "<why>" [--server <url>]',
    help: 'From the commit on, the article, its quotes and its search entry are gone from every entry point\nfor every caller without the editor scope; its pages answer 410 Gone and every response cache is\npurged. The record stays as a tombstone (reason, time, who) for editors. Like ingest, it writes\nthrough a running server when there is one (see ingest --help), else to the database.',
    flags: {
      reason: { type: 'string', description: 'Why (kept with the tombstone); required' },
      server: {
        type: 'string',
        env: 'BYLINE_SERVER_URL',
        description: 'Write through the gateway at this URL (with BYLINE_API_KEY)',
      },
    },
    load: async () => (await import('./takedown-command.ts')).runTakedown,
  },
  webhooks: {
    summary:
      "Register partners' webhook endpoints, rotate their secrets, replay deliveries, read the delivery log",
    usage: webhooksUsage,
    help: "add registers an endpoint for a partner and prints its signing secret once (Standard Webhooks; the\nreceiver verifies with it); it receives the changes committed from then on. rotate prints a new secret;\nthe old one keeps signing beside it for 24 hours. disable stops sending; enable resumes from the\nendpoint's cursor, so nothing committed meanwhile is missed. replay sends again from a change-log\nposition (--from) or every failed delivery (--failed), each as a new message. log prints the latest\nattempts. Webhooks need PostgreSQL (DATABASE_URL): on embedded PGlite, add is refused. Like ingest,\nit works through a running server when there is one (a key with the editor scope).",
    flags: {
      type: {
        type: 'string',
        multiple: true,
        description: 'add: an event type to receive, like article.published (repeatable; none: all)',
      },
      section: {
        type: 'string',
        multiple: true,
        description: 'add: a section slug to receive events of (repeatable; none: all)',
      },
      tag: {
        type: 'string',
        multiple: true,
        description: 'add: a tag slug to receive events of (repeatable; none: all)',
      },
      description: { type: 'string', description: 'add: what the endpoint is for' },
      from: { type: 'string', description: 'replay: the change-log position to send again from' },
      failed: { type: 'boolean', description: 'replay: send every failed delivery again' },
      limit: { type: 'string', description: 'log: how many attempts (default 20)' },
      server: {
        type: 'string',
        env: 'BYLINE_SERVER_URL',
        description: 'Write through the gateway at this URL (with BYLINE_API_KEY)',
      },
    },
    load: async () => (await import('./webhooks-command.ts')).runWebhooks,
  },
  preview: {
    summary: 'Mint a signed, expiring preview link for a draft or embargoed article (or revoke them)',
    usage: 'byline preview <slug> [--expires 1h] [--revoke] [--server <url>]',
    help: "Prints a link to the article's page and embed card (and the token, for the Byline-Preview\nheader on /graphql) that opens this one article, read-only, until it expires (default 1h, at most\n7d). --revoke invalidates every outstanding link of the article. Links are signed with\nBYLINE_PREVIEW_SECRET. Like ingest, it works through a running server when there is one (see\ningest --help), else on the database directly (then BYLINE_PREVIEW_SECRET must be set here too).",
    flags: {
      expires: {
        type: 'string',
        description: 'How long the link lives: 30m, 1h, 2d… (default 1h, at most 7d)',
      },
      revoke: {
        type: 'boolean',
        description: 'Revoke every outstanding preview link of the article instead',
      },
      server: {
        type: 'string',
        env: 'BYLINE_SERVER_URL',
        description: 'Write through the gateway at this URL (with BYLINE_API_KEY)',
      },
    },
    load: async () => (await import('./preview-command.ts')).runPreview,
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
    const run = await command.load();
    return await run(positionals, config, values, rest);
  } catch (error) {
    // A clear line for scripts and people; the stack only when asked for (LOG_LEVEL=debug).
    console.error(`byline ${name}: ${error instanceof Error ? error.message : String(error)}`);
    if (config.logLevel === 'debug' || config.logLevel === 'trace') console.error(error);
    return EXIT.failure;
  }
}
