import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { ingestPaths, ingestPathsBulk, type FileResult } from '../ingest/ingest-paths.ts';
import type { ServerTarget } from './server-client.ts';
import { EXIT, type RunCommand } from './command.ts';
import { createProgressBar, type ProgressBar } from './progress-bar.ts';
import { ingestPathsThroughServer } from './ingest-through-server.ts';
import { chooseWriteTarget, openWriteDatabase } from './write-target.ts';

const STOP_SIGNALS = { SIGINT: EXIT.sigint, SIGTERM: EXIT.sigterm } as const;

export const runIngest: RunCommand = async (args, config, flags) => {
  if (args.length === 0) {
    console.error('byline ingest: expected at least one file or directory');
    return EXIT.usage;
  }
  const bulk = Boolean(flags['bulk']);
  // A bulk import writes batches straight into PostgreSQL, beside a running server (ingest's own
  // notifications keep its caches right); through a server's API it would be one document per call.
  const target =
    bulk && config.databaseUrl ? ({ kind: 'database' } as const) : await chooseWriteTarget(config, 'ingest');
  if (bulk && target.kind === 'server') {
    console.error(
      `byline ingest --bulk: writes straight to the database, but ${target.found} holds it. Stop that server first, set DATABASE_URL to a PostgreSQL database, or ingest without --bulk to write through the server.`,
    );
    return EXIT.config;
  }
  if (target.kind === 'refused') {
    console.error(target.message);
    return EXIT.config;
  }
  // A signal stops the run between articles: the one being written commits or rolls back whole.
  const stop = new AbortController();
  let stoppedBy: keyof typeof STOP_SIGNALS | undefined;
  const onSignal = (signal: keyof typeof STOP_SIGNALS) => {
    if (stoppedBy) return;
    stoppedBy = signal;
    console.error(`byline ingest: ${signal}: stopping after the current article`);
    stop.abort();
  };
  const listeners = (Object.keys(STOP_SIGNALS) as (keyof typeof STOP_SIGNALS)[]).map(
    (signal) => [signal, () => onSignal(signal)] as const,
  );
  for (const [signal, listener] of listeners) process.on(signal, listener);
  const database = target.kind === 'database' ? await openWriteDatabase(config) : undefined;
  try {
    if (!database && target.kind === 'server')
      console.error(`byline ingest: writing through ${target.found} at ${target.url}`);
    const interactive = Boolean(process.stderr.isTTY) && !flags['quiet'];
    if (bulk && database) {
      const batchSize = flags['batch-size'] === undefined ? 1000 : Number(flags['batch-size']);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
        console.error(
          `byline ingest: expected --batch-size from 1 to 10000, got ${JSON.stringify(flags['batch-size'])}`,
        );
        return EXIT.usage;
      }
      return await runBulk(database.db, args, interactive, batchSize, stop.signal, () => stoppedBy);
    }
    const perFile = Boolean(flags['verbose']) || (!interactive && !flags['quiet']);
    let bar: ProgressBar | undefined;
    const onFile = (result: FileResult, _index: number, total: number) => {
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
    };
    const summary = database
      ? await ingestPaths(database.db, args, onFile, stop.signal)
      : await ingestPathsThroughServer(target as ServerTarget, args, onFile, stop.signal);
    bar?.finish();
    const failed = summary.files.filter((f) => f.outcome === 'failed').map((f) => f.file);
    const notRun = summary.total - summary.files.length;
    console.log(
      `${summary.landed} landed, ${summary.failed} failed${failed.length ? `: ${failed.join(', ')}` : ''}` +
        (stoppedBy ? `; stopped by ${stoppedBy}, ${notRun} of ${summary.total} not ingested` : ''),
    );
    if (stoppedBy) return STOP_SIGNALS[stoppedBy];
    return summary.failed > 0 ? EXIT.failure : EXIT.ok;
  } finally {
    await database?.close();
    for (const [signal, listener] of listeners) process.off(signal, listener);
  }
};

/** `--bulk`: batches of a thousand articles per transaction, into an empty or a live database. */
async function runBulk(
  db: Kysely<Database>,
  args: readonly string[],
  interactive: boolean,
  batchSize: number,
  stop: AbortSignal,
  stoppedBy: () => keyof typeof STOP_SIGNALS | undefined,
): Promise<number> {
  let bar: ProgressBar | undefined;
  const started = performance.now();
  const summary = await ingestPathsBulk(db, args, {
    stop,
    batchSize,
    onInvalid: (result) => {
      for (const line of result.problems) {
        if (bar) bar.log(line);
        else console.error(line);
      }
    },
    onBatch: (_, files, total) => {
      bar ??= interactive
        ? createProgressBar(process.stderr, total, { label: 'ingest', unit: 'files' })
        : undefined;
      bar?.tick(files);
    },
  });
  bar?.finish();
  for (const problem of summary.problems) console.error(problem);
  const seconds = (performance.now() - started) / 1000;
  const failed = summary.failed + summary.invalid.length;
  const signal = stoppedBy();
  console.log(
    `${summary.created + summary.updated + summary.unchanged} landed (${summary.created} created, ${summary.updated} updated, ` +
      `${summary.unchanged} unchanged), ${failed} failed in ${seconds.toFixed(1)} s` +
      (signal ? `; stopped by ${signal} between batches` : ''),
  );
  if (signal) return STOP_SIGNALS[signal];
  return failed > 0 ? EXIT.failure : EXIT.ok;
}
