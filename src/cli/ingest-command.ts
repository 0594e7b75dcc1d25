import { migrateToLatest } from '../db/migrate.ts';
import { openDatabase } from '../db/open-database.ts';
import { ingestPaths } from '../ingest/ingest-paths.ts';
import { EXIT, type RunCommand } from './command.ts';
import { createProgressBar, type ProgressBar } from './progress-bar.ts';

const STOP_SIGNALS = { SIGINT: EXIT.sigint, SIGTERM: EXIT.sigterm } as const;

export const runIngest: RunCommand = async (args, config, flags) => {
  if (args.length === 0) {
    console.error('byline ingest: expected at least one file or directory');
    return EXIT.usage;
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
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    pooler: config.databasePooler,
  });
  try {
    await migrateToLatest(database.db);
    const interactive = Boolean(process.stderr.isTTY) && !flags['quiet'];
    const perFile = Boolean(flags['verbose']) || (!interactive && !flags['quiet']);
    let bar: ProgressBar | undefined;
    const summary = await ingestPaths(
      database.db,
      args,
      (result, _index, total) => {
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
      },
      stop.signal,
    );
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
    await database.close();
    for (const [signal, listener] of listeners) process.off(signal, listener);
  }
};
