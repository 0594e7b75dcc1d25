/**
 * The writes behind the lifecycle mutations, as the resolvers see them: implemented below the schema
 * by the ingest layer (src/ingest/content-writer.ts), handed to the request's context by the gateway.
 * Every method validates, writes in one transaction and answers with what happened, never throwing
 * for the caller's mistakes.
 */

export interface ArticleReferenceValue {
  readonly id?: number;
  readonly slug?: string;
  readonly sourceId?: string;
}

export type WriteOutcome = 'created' | 'updated' | 'unchanged';

export interface WriteProblem {
  readonly path: string;
  readonly message: string;
}

export type WriteResult =
  | {
      readonly ok: true;
      readonly articleId: number;
      readonly outcome: WriteOutcome;
      readonly revision: number;
      /** An "everything" announcement the write made, which caches must have heard before it answers. */
      readonly announced?: string | undefined;
    }
  | {
      readonly ok: false;
      readonly code: 'BAD_USER_INPUT' | 'CONFLICT' | 'NOT_FOUND';
      readonly problems: readonly WriteProblem[];
    };

/** The article a preview link is minted for, or why it cannot be. */
export type PreviewTargetResult =
  | { readonly ok: true; readonly articleId: number; readonly slug: string; readonly epoch: number }
  | Extract<WriteResult, { ok: false }>;

export interface ContentWriter {
  /** The article (not taken down) and its preview epoch, to sign a preview link for. */
  previewTarget(ref: ArticleReferenceValue): Promise<PreviewTargetResult>;
  /** Bumps the article's preview epoch: every outstanding preview link of it stops working. */
  revokePreviews(ref: ArticleReferenceValue): Promise<WriteResult>;
  upsert(
    document: unknown,
    options: { readonly expectedRevision?: number | undefined; readonly replace?: boolean | undefined },
  ): Promise<WriteResult>;
  unpublish(
    ref: ArticleReferenceValue,
    options: { readonly expectedRevision?: number | undefined },
  ): Promise<WriteResult>;
  takeDown(ref: ArticleReferenceValue, reason: string, by: string): Promise<WriteResult>;
  correct(
    ref: ArticleReferenceValue,
    text: string,
    options: { readonly expectedRevision?: number | undefined },
  ): Promise<WriteResult>;
  changeSlug(
    ref: ArticleReferenceValue,
    slug: string,
    options: { readonly replace?: boolean | undefined; readonly expectedRevision?: number | undefined },
  ): Promise<WriteResult>;
}

/**
 * The key preview tokens are signed with, or why there is none (production without
 * `BYLINE_PREVIEW_SECRET`: links are refused rather than signed with a key no other instance knows).
 */
export type PreviewSecret =
  | { readonly ok: true; readonly key: string; readonly ephemeral: boolean }
  | { readonly ok: false; readonly message: string };
