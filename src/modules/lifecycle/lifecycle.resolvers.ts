import { GraphQLError } from 'graphql';
import type { Resolvers } from '../../generated/resolvers-types.ts';
import { badUserInput, forbidden } from '../../shared/errors.ts';
import { fromGlobalIdOf } from '../../shared/global-id.ts';
import { hasScope } from '../../shared/viewer.ts';
import type { GraphQLContext } from '../context.ts';
import type { ArticleParent } from '../parents.ts';
import type { ArticleReferenceValue, ContentWriter, WriteResult } from '../content-writer.ts';
import { DEFAULT_PREVIEW_SECONDS, MAX_PREVIEW_SECONDS, signPreviewToken } from './preview-token.ts';

/** Most documents one `upsertArticles` takes: each is its own transaction. */
export const MAX_BATCH_DOCUMENTS = 100;

const OUTCOME = { created: 'CREATED', updated: 'UPDATED', unchanged: 'UNCHANGED' } as const;

function writerOf(context: GraphQLContext, field: string): ContentWriter {
  if (!hasScope(context.viewer, 'editor')) {
    throw forbidden(`Mutation.${field} needs a partner key with the "editor" scope`);
  }
  if (!context.writes) throw new Error('This gateway has no content writer');
  return context.writes.content;
}

function reference(
  args: { id?: string | null; slug?: string | null; sourceId?: string | null },
  field: string,
): ArticleReferenceValue {
  const given = (['id', 'slug', 'sourceId'] as const).filter((name) => args[name] != null);
  if (given.length !== 1) {
    throw badUserInput(
      `${field}: expected exactly one of "id", "slug" or "sourceId", got ${given.length === 0 ? 'none' : given.map((n) => `"${n}"`).join(' and ')}`,
      'article',
    );
  }
  if (args.id != null) {
    const id = fromGlobalIdOf('Article', args.id, 'article.id');
    if (id === undefined) throw badUserInput(`${field}.id: expected the global ID of an Article`, 'article');
    return { id };
  }
  return args.slug != null ? { slug: args.slug } : { sourceId: args.sourceId! };
}

/** A failed write as one GraphQL error: the problems' paths and messages, as file ingest prints them. */
function failure(result: Extract<WriteResult, { ok: false }>): GraphQLError {
  const message = result.problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
  return new GraphQLError(message, { extensions: { code: result.code, problems: result.problems } });
}

/** The article as the write left it: read on the writer's side, for editors, whatever its state. */
async function changed(context: GraphQLContext, result: WriteResult) {
  if (!result.ok) throw failure(result);
  if (result.announced !== undefined) await context.writes!.settled(result.announced);
  const article = await context.writes!.articleById(result.articleId);
  return { outcome: OUTCOME[result.outcome], revision: result.revision, article };
}

const revisionOf = (value: number | null | undefined) => (value === null ? undefined : value);

export const lifecycleResolvers: Resolvers = {
  Mutation: {
    upsertArticle: async (_parent, args, context) =>
      changed(
        context,
        await writerOf(context, 'upsertArticle').upsert(args.input, {
          expectedRevision: revisionOf(args.expectedRevision),
          replace: args.replace ?? false,
        }),
      ),
    upsertArticles: async (_parent, args, context) => {
      const writer = writerOf(context, 'upsertArticles');
      if (args.inputs.length > MAX_BATCH_DOCUMENTS) {
        throw badUserInput(
          `upsertArticles: expected at most ${MAX_BATCH_DOCUMENTS} documents, got ${args.inputs.length}`,
          'inputs',
        );
      }
      const results = [];
      // One at a time, each its own transaction: a bad document is reported and the others still land.
      for (const [index, input] of args.inputs.entries()) {
        const result = await writer.upsert(input, {});
        if (!result.ok) {
          results.push({
            index,
            outcome: null,
            article: null,
            revision: null,
            problems: [...result.problems],
          });
          continue;
        }
        const { outcome, revision, article } = await changed(context, result);
        results.push({ index, outcome, article, revision, problems: [] });
      }
      return results;
    },
    unpublishArticle: async (_parent, args, context) =>
      changed(
        context,
        await writerOf(context, 'unpublishArticle').unpublish(reference(args.article, 'article'), {
          expectedRevision: revisionOf(args.expectedRevision),
        }),
      ),
    takeDownArticle: async (_parent, args, context) =>
      changed(
        context,
        await writerOf(context, 'takeDownArticle').takeDown(
          reference(args.article, 'article'),
          args.reason,
          context.viewer.partnerName ?? 'editor',
        ),
      ),
    correctArticle: async (_parent, args, context) =>
      changed(
        context,
        await writerOf(context, 'correctArticle').correct(reference(args.article, 'article'), args.text, {
          expectedRevision: revisionOf(args.expectedRevision),
        }),
      ),
    changeArticleSlug: async (_parent, args, context) =>
      changed(
        context,
        await writerOf(context, 'changeArticleSlug').changeSlug(
          reference(args.article, 'article'),
          args.slug,
          {
            replace: args.replace ?? false,
            expectedRevision: revisionOf(args.expectedRevision),
          },
        ),
      ),
    createPreviewLink: async (_parent, args, context) => {
      const writer = writerOf(context, 'createPreviewLink');
      const expiresIn = args.expiresIn ?? DEFAULT_PREVIEW_SECONDS;
      if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PREVIEW_SECONDS) {
        throw badUserInput(
          `createPreviewLink.expiresIn: expected seconds from 1 to ${MAX_PREVIEW_SECONDS} (7 days), got ${expiresIn}`,
          'expiresIn',
        );
      }
      const secret = context.writes!.previewSecret;
      if (!secret) throw new Error('This gateway signs no preview links');
      if (!secret.ok) {
        throw new GraphQLError(secret.message, { extensions: { code: 'PREVIEW_LINKS_DISABLED' } });
      }
      const target = await writer.previewTarget(reference(args.article, 'article'));
      if (!target.ok) throw failure(target);
      const expiresAt = Math.floor(Date.now() / 1000) + expiresIn;
      const token = signPreviewToken(secret.key, {
        articleId: target.articleId,
        epoch: target.epoch,
        expiresAt,
      });
      const query = `?preview=${encodeURIComponent(token)}`;
      const slug = encodeURIComponent(target.slug);
      return {
        token,
        expiresAt: new Date(expiresAt * 1000),
        url: `${context.publicUrl}/articles/${slug}${query}`,
        embedUrl: `${context.publicUrl}/embed/articles/${slug}${query}`,
        article: await context.writes!.articleById(target.articleId),
      };
    },
    revokePreviewLinks: async (_parent, args, context) => {
      const result = await writerOf(context, 'revokePreviewLinks').revokePreviews(
        reference(args.article, 'article'),
      );
      if (!result.ok) throw failure(result);
      return context.writes!.articleById(result.articleId);
    },
  },
  Article: {
    revision: (article) => article.revision,
    canonicalSlug: (article) => article.slug,
    sourceId: (article) => article.source_id,
    corrections: (article) => article.corrections ?? [],
    takedown: (article: ArticleParent, _args, context) =>
      article.taken_down_at !== null && hasScope(context.viewer, 'editor')
        ? {
            at: article.taken_down_at,
            reason: article.takedown_reason ?? '',
            by: article.taken_down_by ?? '',
          }
        : null,
  },
};
