import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { ContentWriter, WriteResult } from '../modules/lifecycle/index.ts';
import { validateArticleDocument } from './article-document.ts';
import {
  changeArticleSlug,
  correctArticle,
  takeDownArticle,
  revokeArticlePreviews,
  findPreviewTarget,
  unpublishArticle,
  type ArticleChangeResult,
} from './article-lifecycle.ts';
import { IngestConflictError, ingestArticle } from './ingest-article.ts';

/** GraphQL leaves absent nullable input fields out but sends explicit nulls; the format has no nulls. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, field]) => field !== null && field !== undefined)
        .map(([key, field]) => [key, withoutNulls(field)]),
    );
  }
  return value;
}

async function attempt(write: () => Promise<ArticleChangeResult>): Promise<WriteResult> {
  try {
    const { articleId, outcome, revision, announced } = await write();
    return { ok: true, articleId, outcome, revision, announced };
  } catch (error) {
    if (error instanceof IngestConflictError) {
      return { ok: false, code: error.code, problems: [{ path: error.path, message: error.message }] };
    }
    throw error;
  }
}

/** The lifecycle writes on `db`, each validated as file ingest validates and written in one transaction. */
export function createContentWriter(db: Kysely<Database>): ContentWriter {
  return {
    async upsert(input, options) {
      const validation = validateArticleDocument(withoutNulls(input));
      if (!validation.ok) return { ok: false, code: 'BAD_USER_INPUT', problems: validation.problems };
      return attempt(() => ingestArticle(db, validation.document, options));
    },
    unpublish: (ref, options) => attempt(() => unpublishArticle(db, ref, options)),
    takeDown: (ref, reason, by) => attempt(() => takeDownArticle(db, ref, { reason, by })),
    correct: (ref, text, options) => attempt(() => correctArticle(db, ref, { text, ...options })),
    changeSlug: (ref, slug, options) => attempt(() => changeArticleSlug(db, ref, { slug, ...options })),
    revokePreviews: (ref) => attempt(() => revokeArticlePreviews(db, ref)),
    async previewTarget(ref) {
      try {
        return { ok: true, ...(await findPreviewTarget(db, ref)) };
      } catch (error) {
        if (error instanceof IngestConflictError) {
          return { ok: false, code: error.code, problems: [{ path: error.path, message: error.message }] };
        }
        throw error;
      }
    },
  };
}
