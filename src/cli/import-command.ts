import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DatabaseHandle } from '../db/open-database.ts';
import { renderReport } from '../import/import-page.ts';
import { collectPages, importFile } from '../import/import-paths.ts';
import { IngestConflictError, ingestArticle } from '../ingest/ingest-article.ts';
import { EXIT, type RunCommand } from './command.ts';
import { ingestPathsThroughServer } from './ingest-through-server.ts';
import { chooseWriteTarget, type WriteTarget, openWriteDatabase } from './write-target.ts';

export const runImport: RunCommand = async (args, config, flags) => {
  if (args.length === 0) {
    console.error('byline import: expected at least one file or directory');
    return EXIT.usage;
  }
  const ingest = Boolean(flags['ingest']);
  const publish = Boolean(flags['publish']);
  if (publish && !ingest) {
    console.error(
      'byline import: --publish goes with --ingest (without --ingest, documents are written for review)',
    );
    return EXIT.usage;
  }
  const out = typeof flags['out'] === 'string' ? flags['out'] : 'imported';
  const quiet = Boolean(flags['quiet']);
  const files = await collectPages(args);
  if (files.length === 0) {
    console.error(`byline import: no HTML or text pages found in ${args.join(', ')}`);
    return EXIT.failure;
  }
  // One writer, as for `byline ingest`: a running server's API, else the database, never a copy of our own.
  const target: WriteTarget | undefined = ingest ? await chooseWriteTarget(config, 'import') : undefined;
  if (target?.kind === 'refused') {
    console.error(target.message);
    return EXIT.config;
  }
  await mkdir(out, { recursive: true });
  let database: DatabaseHandle | undefined;
  if (target?.kind === 'database') {
    database = await openWriteDatabase(config);
  }
  let failed = 0;
  let written = 0;
  try {
    for (const file of files) {
      const result = await importFile(file, publish ? 'published' : 'draft');
      if (!result.ok) {
        failed += 1;
        console.error(`failed    ${file}: ${result.error}`);
        continue;
      }
      const { document, report } = result;
      const base = path.join(out, document.slug);
      await writeFile(`${base}.json`, `${JSON.stringify(document, null, 2)}\n`);
      await writeFile(`${base}.review.md`, renderReport(file, report));
      written += 1;
      let outcome = 'written';
      if (target?.kind === 'server') {
        const stored = (await ingestPathsThroughServer(target, [`${base}.json`])).files[0]!;
        if (stored.outcome === 'failed') {
          failed += 1;
          for (const problem of stored.problems) console.error(`failed    ${file}: ${problem}`);
          continue;
        }
        outcome = `${stored.outcome} (${document.status})`;
      } else if (database) {
        try {
          const stored = await ingestArticle(database.db, document);
          outcome = `${stored.outcome} (${document.status})`;
        } catch (error) {
          if (!(error instanceof IngestConflictError)) throw error;
          failed += 1;
          console.error(`failed    ${file}: ${error.message}`);
          continue;
        }
      }
      if (!quiet) {
        console.log(
          `${outcome.padEnd(9)} ${file} → ${base}.json  (${report.paragraphs} paragraphs, ${report.quotes.length} quotes, ` +
            `${report.flagged.length} flagged, ${report.chrome.length} chrome lines dropped)`,
        );
      }
    }
  } finally {
    await database?.close();
  }
  console.log(`${written} imported, ${failed} failed; documents and review reports in ${out}/`);
  return failed > 0 ? EXIT.failure : EXIT.ok;
};
