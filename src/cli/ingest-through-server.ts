import type { ArticleDocument } from '../ingest/article-document.ts';
import {
  collectFiles,
  readArticleFile,
  type FileResult,
  type IngestSummary,
} from '../ingest/ingest-paths.ts';
import { requestServer, ServerRequestError, type ServerTarget } from './server-client.ts';

const UPSERT_ARTICLES = `mutation IngestFiles($inputs: [ArticleInput!]!) {
  upsertArticles(inputs: $inputs) { index outcome revision article { id slug } problems { path message } }
}`;

interface BatchResult {
  readonly index: number;
  readonly outcome: 'CREATED' | 'UPDATED' | 'UNCHANGED' | null;
  readonly article: { readonly id: string; readonly slug: string } | null;
  readonly problems: readonly { readonly path: string; readonly message: string }[];
}

/** A batch stays well under the server's default body limit (BYLINE_MAX_BODY_BYTES, 100 kB). */
const BATCH_BYTES = 64 * 1024;
const BATCH_DOCUMENTS = 50;

/** The document as the API takes it: `$schema` names a file's JSON Schema and is no part of the article. */
function asInput(document: ArticleDocument): Record<string, unknown> {
  const { $schema: _schema, ...input } = document;
  return input;
}

/**
 * `byline ingest` through a running server: files are read and validated here (a bad file is
 * reported as when writing directly), the valid documents go in batches through `upsertArticles`,
 * each written in its own transaction there; a document the server refuses is reported with its problems.
 */
export async function ingestPathsThroughServer(
  target: ServerTarget,
  paths: readonly string[],
  onFile?: (result: FileResult, index: number, total: number) => void,
  stop?: AbortSignal,
): Promise<IngestSummary> {
  const files = await collectFiles(paths);
  const results: FileResult[] = [];
  const report = (result: FileResult) => {
    results.push(result);
    onFile?.(result, results.length - 1, files.length);
  };
  let batch: { file: string; input: Record<string, unknown>; bytes: number }[] = [];
  const send = async () => {
    if (batch.length === 0) return;
    const sending = batch;
    batch = [];
    let answers: readonly BatchResult[];
    try {
      answers = (
        await requestServer<{ upsertArticles: BatchResult[] }>(target, UPSERT_ARTICLES, {
          inputs: sending.map((entry) => entry.input),
        })
      ).upsertArticles;
    } catch (error) {
      if (!(error instanceof ServerRequestError) || sending.length === 1 || error.status !== 413) throw error;
      // Too large together: each on its own, so only a document over the limit fails.
      for (const entry of sending) {
        batch = [entry];
        await send().catch((single: unknown) => {
          if (!(single instanceof ServerRequestError) || single.status !== 413) throw single;
          report({
            file: entry.file,
            outcome: 'failed',
            problems: [
              `${entry.file}: $: the document (${entry.bytes} bytes as JSON) is larger than the server's body limit (BYLINE_MAX_BODY_BYTES)`,
            ],
          });
        });
      }
      return;
    }
    for (const answer of answers) {
      const { file } = sending[answer.index]!;
      if (answer.outcome === null || answer.article === null) {
        report({
          file,
          outcome: 'failed',
          problems: answer.problems.map((problem) => `${file}: ${problem.path}: ${problem.message}`),
        });
      } else {
        report({
          file,
          slug: answer.article.slug,
          outcome: answer.outcome.toLowerCase() as 'created' | 'updated' | 'unchanged',
          problems: [],
        });
      }
    }
  };
  let bytes = 0;
  for (const file of files) {
    if (stop?.aborted) break;
    const read = await readArticleFile(file);
    if (!read.ok) {
      report(read.result);
      continue;
    }
    const input = asInput(read.document);
    const size = Buffer.byteLength(JSON.stringify(input));
    if (batch.length > 0 && (bytes + size > BATCH_BYTES || batch.length >= BATCH_DOCUMENTS)) {
      await send();
      bytes = 0;
    }
    batch.push({ file, input, bytes: size });
    bytes += size;
  }
  if (!stop?.aborted) await send();
  const failed = results.filter((result) => result.outcome === 'failed').length;
  return { files: results, total: files.length, landed: results.length - failed, failed };
}
