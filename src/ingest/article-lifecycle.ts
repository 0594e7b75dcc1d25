import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import { appendChanges, findArticleBefore } from '../modules/changes/index.ts';
import { cacheTags, encodeContentChange } from '../shared/cache-tags.ts';
import {
  checkNotTakenDown,
  checkRevision,
  IngestConflictError,
  type IngestOutcome,
} from './ingest-article.ts';
import * as repository from './ingest.repository.ts';

/**
 * The content changes other than a document's upsert (`ingestArticle`), one function per kind: each
 * runs in one transaction that locks the article, checks the revision the caller edited, writes,
 * counts a revision, appends its event to the change log and announces what changed to the
 * response caches on commit.
 */

/** Which article: exactly one of its id, slug (an old slug finds it too) or source id. */
export interface ArticleRef {
  readonly id?: number;
  readonly slug?: string;
  readonly sourceId?: string;
}

export interface ArticleChangeResult {
  readonly articleId: number;
  readonly slug: string;
  readonly outcome: IngestOutcome;
  readonly revision: number;
  /** The "everything" announcement the change made (its transaction id), for callers that wait for it. */
  readonly announced?: string;
}

function describeRef(ref: ArticleRef): string {
  if (ref.id !== undefined) return `id ${ref.id}`;
  if (ref.sourceId !== undefined) return `source id "${ref.sourceId}"`;
  return `slug "${ref.slug ?? ''}"`;
}

async function lockArticle(trx: Transaction<Database>, ref: ArticleRef) {
  const article = await repository.findArticleForChange(trx, ref);
  if (!article) {
    throw new IngestConflictError(
      '$.article',
      `no article with ${describeRef(ref)}: expected an existing article`,
      'NOT_FOUND',
    );
  }
  return article;
}

/** The cache tags of one article and of every list it is on (a change of state moves it in or out of them). */
async function articleTags(
  trx: Transaction<Database>,
  article: { id: number; slug: string; url: string | null },
) {
  const tags = new Set([
    cacheTags.allArticles,
    cacheTags.article(article.id),
    cacheTags.articleSlug(article.slug),
    ...(article.url ? [cacheTags.articleUrl(article.url)] : []),
  ]);
  for (const term of await repository.findArticleTerms(trx, article.id)) {
    tags.add(cacheTags.articlesOf(term.kind, term.id)).add(cacheTags.articlesOfSlug(term.kind, term.slug));
  }
  const linking = await trx
    .selectFrom('related_links')
    .select('article_id')
    .where('target_article_id', '=', article.id)
    .execute();
  for (const { article_id } of linking) tags.add(cacheTags.article(article_id));
  return tags;
}

async function bumpRevision(trx: Transaction<Database>, articleId: number): Promise<number> {
  const row = await trx
    .updateTable('articles')
    .set((eb) => ({ revision: eb('revision', '+', 1) }))
    .where('id', '=', articleId)
    .returning('revision')
    .executeTakeFirstOrThrow();
  return row.revision;
}

/** Back to draft: gone for the public and partners without `preview`, kept for editors. */
export function unpublishArticle(
  db: Kysely<Database>,
  ref: ArticleRef,
  options: { readonly expectedRevision?: number | undefined } = {},
): Promise<ArticleChangeResult> {
  return db.transaction().execute(async (trx) => {
    const article = await lockArticle(trx, ref);
    checkNotTakenDown(article);
    checkRevision(article, options.expectedRevision);
    if (article.status === 'draft') {
      return { articleId: article.id, slug: article.slug, outcome: 'unchanged', revision: article.revision };
    }
    await repository.markContentAnnounced(trx);
    const tags = await articleTags(trx, article);
    const before = await findArticleBefore(trx, article.id);
    await trx.updateTable('articles').set({ status: 'draft' }).where('id', '=', article.id).execute();
    const revision = await bumpRevision(trx, article.id);
    await repository.notifyContentChanged(trx, encodeContentChange(tags));
    await appendChanges(trx, [{ type: 'unpublished', articleId: article.id, before: before! }]);
    return { articleId: article.id, slug: article.slug, outcome: 'updated', revision };
  });
}

/**
 * A legal removal: from the commit on the article, its quotes, its mentions and its search entry are
 * gone for every caller without the editor scope (the visibility rule), and every response cache
 * drops everything (a transaction id announces "everything": nothing cached may still hold it). The
 * row stays as a tombstone: when, why and who, for editors.
 */
export function takeDownArticle(
  db: Kysely<Database>,
  ref: ArticleRef,
  takedown: { readonly reason: string; readonly by: string },
): Promise<ArticleChangeResult> {
  const reason = takedown.reason.trim();
  if (reason.length === 0 || reason.length > 2000) {
    throw new IngestConflictError(
      '$.reason',
      `expected a reason of 1 to 2000 characters, got ${reason.length}`,
      'BAD_USER_INPUT',
    );
  }
  return db.transaction().execute(async (trx) => {
    const article = await lockArticle(trx, ref);
    if (article.taken_down_at !== null) {
      throw new IngestConflictError(
        '$.article',
        `article "${article.slug}" was already taken down at ${article.taken_down_at.toISOString()}: expected an article that is not taken down`,
      );
    }
    await repository.markContentAnnounced(trx);
    const before = await findArticleBefore(trx, article.id);
    await trx
      .updateTable('articles')
      .set({ taken_down_at: sql`now()`, takedown_reason: reason, taken_down_by: takedown.by })
      .where('id', '=', article.id)
      .execute();
    await trx.deleteFrom('article_search').where('article_id', '=', article.id).execute();
    const revision = await bumpRevision(trx, article.id);
    const announced = await repository.announceEverything(trx);
    await appendChanges(trx, [{ type: 'taken_down', articleId: article.id, before: before! }]);
    return { articleId: article.id, slug: article.slug, outcome: 'updated', revision, announced };
  });
}

/** Adds a correction (shown with the article) and moves `updatedAt`: a correction is a real change. */
export function correctArticle(
  db: Kysely<Database>,
  ref: ArticleRef,
  correction: { readonly text: string; readonly expectedRevision?: number | undefined },
): Promise<ArticleChangeResult> {
  const text = correction.text.trim();
  if (text.length === 0 || text.length > 2000) {
    throw new IngestConflictError(
      '$.text',
      `expected a correction of 1 to 2000 characters, got ${text.length}`,
      'BAD_USER_INPUT',
    );
  }
  return db.transaction().execute(async (trx) => {
    const article = await lockArticle(trx, ref);
    checkNotTakenDown(article);
    checkRevision(article, correction.expectedRevision);
    await repository.markContentAnnounced(trx);
    const before = await findArticleBefore(trx, article.id);
    const at = new Date().toISOString();
    await trx
      .updateTable('articles')
      .set({
        corrections: sql`corrections || ${JSON.stringify([{ at, text }])}::jsonb`,
        updated_at: sql`now()`,
      })
      .where('id', '=', article.id)
      .execute();
    const revision = await bumpRevision(trx, article.id);
    await repository.notifyContentChanged(trx, encodeContentChange(await articleTags(trx, article)));
    await appendChanges(trx, [{ type: 'corrected', articleId: article.id, before: before! }]);
    return { articleId: article.id, slug: article.slug, outcome: 'updated', revision };
  });
}

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * A new slug; the old one keeps answering as a redirect. A slug another story holds is refused,
 * naming both, unless `replace` (that story is then deleted).
 */
export function changeArticleSlug(
  db: Kysely<Database>,
  ref: ArticleRef,
  change: {
    readonly slug: string;
    readonly replace?: boolean | undefined;
    readonly expectedRevision?: number | undefined;
  },
): Promise<ArticleChangeResult> {
  if (!SLUG.test(change.slug) || change.slug.length > 200) {
    throw new IngestConflictError(
      '$.slug',
      `expected a slug: lowercase letters, digits and single hyphens, like "gerald-horne", got ${JSON.stringify(change.slug.slice(0, 60))}`,
      'BAD_USER_INPUT',
    );
  }
  return db.transaction().execute(async (trx) => {
    const article = await lockArticle(trx, ref);
    checkNotTakenDown(article);
    checkRevision(article, change.expectedRevision);
    if (article.slug === change.slug) {
      return { articleId: article.id, slug: article.slug, outcome: 'unchanged', revision: article.revision };
    }
    const [holder] = await repository.findArticleIdentity(trx, change.slug, null);
    if (holder && !change.replace) {
      throw new IngestConflictError(
        '$.slug',
        `slug "${change.slug}" belongs to another story, "${holder.headline}" (${holder.source_id ? `source id ${holder.source_id}` : `id ${holder.id}`}); "${article.headline}" keeps "${article.slug}": expected a slug no other story uses, or replace: true to overwrite that story`,
      );
    }
    if (holder) checkNotTakenDown(holder);
    await repository.markContentAnnounced(trx);
    const tags = await articleTags(trx, article);
    const before = await findArticleBefore(trx, article.id);
    const gone = holder ? await findArticleBefore(trx, holder.id) : undefined;
    if (holder) {
      tags.add(cacheTags.article(holder.id));
      await repository.deleteArticle(trx, holder.id);
    }
    await repository.dropSlugRedirect(trx, change.slug);
    await trx.updateTable('articles').set({ slug: change.slug }).where('id', '=', article.id).execute();
    await repository.addSlugRedirect(trx, article.slug, article.id);
    await repository.attachLinksTargeting(trx, article.id, change.slug);
    const revision = await bumpRevision(trx, article.id);
    tags.add(cacheTags.articleSlug(change.slug));
    await repository.notifyContentChanged(trx, encodeContentChange(tags));
    await appendChanges(trx, [
      ...(gone ? [{ type: 'deleted' as const, articleId: gone.id, before: gone }] : []),
      { type: 'slug_changed', articleId: article.id, before: before!, previousSlug: article.slug },
    ]);
    return { articleId: article.id, slug: change.slug, outcome: 'updated', revision };
  });
}

/** Revokes every outstanding preview link of the article (their tokens carry the old epoch). */
export function revokeArticlePreviews(db: Kysely<Database>, ref: ArticleRef): Promise<ArticleChangeResult> {
  return db.transaction().execute(async (trx) => {
    const article = await lockArticle(trx, ref);
    await trx
      .updateTable('articles')
      .set((eb) => ({ preview_epoch: eb('preview_epoch', '+', 1) }))
      .where('id', '=', article.id)
      .execute();
    return { articleId: article.id, slug: article.slug, outcome: 'updated', revision: article.revision };
  });
}

/** The article a preview link may be minted for (any state but taken down) and its current preview epoch. */
export function findPreviewTarget(
  db: Kysely<Database>,
  ref: ArticleRef,
): Promise<{ readonly articleId: number; readonly slug: string; readonly epoch: number }> {
  return db.transaction().execute(async (trx) => {
    const article = await lockArticle(trx, ref);
    checkNotTakenDown(article);
    const { preview_epoch } = await trx
      .selectFrom('articles')
      .select('preview_epoch')
      .where('id', '=', article.id)
      .executeTakeFirstOrThrow();
    return { articleId: article.id, slug: article.slug, epoch: preview_epoch };
  });
}
