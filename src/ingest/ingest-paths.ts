import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { validateArticleDocument, type ArticleDocument } from './article-document.ts';
import { bulkIngestArticles, type BulkIngestOptions, type BulkIngestResult } from './bulk-ingest.ts';
import { IngestConflictError, ingestArticle, type IngestOutcome } from './ingest-article.ts';

export interface FileResult {
  readonly file: string;
  readonly slug?: string;
  readonly articleId?: number;
  readonly outcome: IngestOutcome | 'failed';
  /** Each problem as `file: $.path: message`. */
  readonly problems: readonly string[];
}

export interface IngestSummary {
  /** The files ingested, in order: all of them unless the run was stopped. */
  readonly files: readonly FileResult[];
  /** The files found under the paths given. */
  readonly total: number;
  readonly landed: number;
  readonly failed: number;
}

/** Every `*.json` below the paths given, files as given, in a stable (sorted) order. */
export async function collectFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const given of paths) {
    const info = await stat(given).catch(() => undefined);
    if (!info) {
      files.push(given); // reported as unreadable by ingestPaths
    } else if (info.isDirectory()) {
      const entries = await readdir(given, { recursive: true, withFileTypes: true });
      files.push(
        ...entries
          .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
          .map((entry) => path.join(entry.parentPath, entry.name))
          .sort(),
      );
    } else {
      files.push(given);
    }
  }
  return files;
}

/**
 * Ingests each file in its own transaction: a bad file is rejected whole and reported, and the good
 * files of the same run still land. Once `stop` is aborted no further file starts; the one being
 * written commits or rolls back whole first.
 */
export async function ingestPaths(
  db: Kysely<Database>,
  paths: readonly string[],
  onFile?: (result: FileResult, index: number, total: number) => void,
  stop?: AbortSignal,
): Promise<IngestSummary> {
  const files = await collectFiles(paths);
  const results: FileResult[] = [];
  for (const [index, file] of files.entries()) {
    if (stop?.aborted) break;
    const result = await ingestFile(db, file);
    results.push(result);
    onFile?.(result, index, files.length);
  }
  const failed = results.filter((result) => result.outcome === 'failed').length;
  return { files: results, total: files.length, landed: results.length - failed, failed };
}

/** What `ingestPathsBulk` did: the bulk counts, and the files it could not read or validate. */
export interface BulkIngestSummary extends BulkIngestResult {
  readonly total: number;
  readonly invalid: readonly FileResult[];
}

/**
 * `byline ingest --bulk`: the files' valid documents through `bulkIngestArticles`, in file order,
 * a batch per transaction; invalid files are reported and skipped as one-by-one ingest does.
 */
export async function ingestPathsBulk(
  db: Kysely<Database>,
  paths: readonly string[],
  options: Omit<BulkIngestOptions, 'onBatch'> & {
    readonly onBatch?: (result: BulkIngestResult, files: number, total: number) => void;
    readonly onInvalid?: (result: FileResult) => void;
  } = {},
): Promise<BulkIngestSummary> {
  const files = await collectFiles(paths);
  const invalid: FileResult[] = [];
  async function* documents(): AsyncGenerator<ArticleDocument> {
    for (const file of files) {
      const read = await readArticleFile(file);
      if (!read.ok) {
        invalid.push(read.result);
        options.onInvalid?.(read.result);
      } else yield read.document;
    }
  }
  const result = await bulkIngestArticles(db, documents(), {
    ...options,
    onBatch: (sofar, count) => options.onBatch?.(sofar, count, files.length),
  });
  return { ...result, total: files.length, invalid };
}

/** A file read, parsed and validated: its document, or its failure as `ingestFile` reports it. */
export type ReadArticleFile =
  | { readonly ok: true; readonly file: string; readonly document: ArticleDocument }
  | { readonly ok: false; readonly result: FileResult };

export async function readArticleFile(file: string): Promise<ReadArticleFile> {
  const fail = (...problems: string[]): ReadArticleFile => ({
    ok: false,
    result: { file, outcome: 'failed', problems: problems.map((problem) => `${file}: ${problem}`) },
  });
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return fail(`cannot read file: ${(error as NodeJS.ErrnoException).code ?? 'unknown error'}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(`$: expected JSON: ${(error as Error).message}`);
  }
  const validation = validateArticleDocument(json);
  if (!validation.ok) return fail(...validation.problems.map((p) => `${p.path}: ${p.message}`));
  return { ok: true, file, document: validation.document };
}

export async function ingestFile(db: Kysely<Database>, file: string): Promise<FileResult> {
  const read = await readArticleFile(file);
  if (!read.ok) return read.result;
  try {
    const stored = await ingestArticle(db, read.document);
    return { file, slug: stored.slug, articleId: stored.articleId, outcome: stored.outcome, problems: [] };
  } catch (error) {
    if (error instanceof IngestConflictError) {
      return { file, outcome: 'failed', problems: [`${file}: ${error.path}: ${error.message}`] };
    }
    throw error;
  }
}
