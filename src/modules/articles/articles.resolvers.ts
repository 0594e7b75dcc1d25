import type { GraphQLResolveInfo } from 'graphql';
import type { StoredBlock } from '../../db/database.ts';
import type { Resolvers } from '../../generated/resolvers-types.ts';
import { badUserInput } from '../../shared/errors.ts';
import { fromGlobalIdOf, toGlobalId } from '../../shared/global-id.ts';
import { selectsField } from '../../shared/selection.ts';
import { requireFieldRight } from '../partners/index.ts';
import type { GraphQLContext } from '../context.ts';
import { resolveArticleConnection, toListFilter } from './article-connection.ts';
import { loadArticlePart } from './article-parts.ts';
import { canonicalUrl } from './canonical-url.ts';
import type { BlockParent } from './articles.mappers.ts';
import type { ArticleParent } from '../parents.ts';

function findArticle(
  context: GraphQLContext,
  args: { id?: string | null; slug?: string | null; url?: string | null },
): Promise<ArticleParent | null> | null {
  const given = (['id', 'slug', 'url'] as const).filter((name) => args[name] != null);
  if (given.length !== 1) {
    throw badUserInput(
      `Query.article takes exactly one of "id", "slug" or "url", got ${given.length === 0 ? 'none' : given.map((name) => `"${name}"`).join(' and ')}`,
    );
  }
  if (args.id != null) {
    const id = fromGlobalIdOf('Article', args.id, 'id');
    return id === undefined ? null : context.loaders.articleById.load(id);
  }
  if (args.slug != null) return context.loaders.articleBySlug.load(args.slug);
  const url = args.url!;
  // Our own canonical URLs carry the slug; anything else is an article's own URL.
  const ownPrefix = `${context.publicUrl}/articles/`;
  if (url.startsWith(ownPrefix)) {
    const slug = decodeURIComponent(
      url
        .slice(ownPrefix.length)
        .replace(/[?#].*$/, '')
        .replace(/\/$/, ''),
    );
    return context.loaders.articleBySlug.load(slug);
  }
  return context.loaders.articleByUrl.load(url);
}

function toBlockParent(articleId: number, block: StoredBlock, position: number): BlockParent {
  const base = { articleId, position };
  switch (block.type) {
    case 'paragraph':
      return { ...base, __typename: 'ParagraphBlock', text: block.text };
    case 'heading':
      return { ...base, __typename: 'HeadingBlock', text: block.text, level: block.level };
    case 'quote':
      return { ...base, __typename: 'QuoteBlock', quoteOrdinal: block.quote };
    case 'image':
      return { ...base, __typename: 'ImageBlock', imageId: block.image };
    case 'relatedLink':
      return { ...base, __typename: 'RelatedLinkBlock', linkPosition: block.link };
  }
}

/** Loads what a block points at; ingest guarantees it exists, so a miss is a broken invariant. */
function required<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`Article body refers to a missing ${what}`);
  return value;
}

/** An article's quotes, with their speakers in the same statement when the operation reads them. */
function quotesOf(context: GraphQLContext, articleId: number, info: GraphQLResolveInfo) {
  return context.loaders.quotesByArticle.load({ articleId, speakers: selectsField(info, 'speaker') });
}

/** An article's related links, with their targets in the same statement when the operation reads them. */
function linksOf(context: GraphQLContext, articleId: number, info: GraphQLResolveInfo) {
  return context.loaders.relatedLinksByArticle.load({ articleId, targets: selectsField(info, 'target') });
}

export const articleResolvers: Resolvers = {
  Query: {
    article: (_parent, args, context) => findArticle(context, args),
    articles: (_parent, args, context) =>
      resolveArticleConnection(context, {
        filter: toListFilter(args.filter),
        order:
          args.orderBy === 'OLDEST' ? 'oldest' : args.orderBy === 'UPDATED_AT_DESC' ? 'updated' : 'newest',
        first: args.first,
        after: args.after,
      }),
  },
  Article: {
    id: (article) => toGlobalId('Article', article.id),
    url: (article, _args, context) => canonicalUrl(article, context.publicUrl),
    status: (article) => (article.status === 'draft' ? 'DRAFT' : 'PUBLISHED'),
    publishedAt: (article) => article.published_at,
    updatedAt: (article) => article.updated_at,
    wordCount: (article) => article.word_count,
    section: (article, _args, context) => loadArticlePart(context, article.id, 'section'),
    tags: (article, _args, context) => loadArticlePart(context, article.id, 'tags'),
    leadImage: (article, _args, context) =>
      article.lead_image_id === null ? null : loadArticlePart(context, article.id, 'leadImage'),
    authors: (article, _args, context) => loadArticlePart(context, article.id, 'authors'),
    people: async (article, _args, context) =>
      (await context.loaders.mentionsByArticle.load(article.id)).map((mention) => mention.person),
    mentions: (article, _args, context) => context.loaders.mentionsByArticle.load(article.id),
    organizations: (article, _args, context) => context.loaders.organizationsByArticle.load(article.id),
    quotes: (article, _args, context, info) => quotesOf(context, article.id, info),
    relatedLinks: (article, _args, context, info) => linksOf(context, article.id, info),
    body: async (article, _args, context) => {
      requireFieldRight(context.viewer, 'body', 'Article.body');
      const body = article.body ?? (await context.loaders.articleBodyById.load(article.id));
      return body.map((block, position) => toBlockParent(article.id, block, position));
    },
  },
  ParagraphBlock: {
    quotes: async (block, _args, context, info) =>
      (await quotesOf(context, block.articleId, info)).filter(
        (quote) => quote.block_position === block.position,
      ),
  },
  QuoteBlock: {
    quote: async (block, _args, context, info) =>
      required(
        (await quotesOf(context, block.articleId, info)).find(
          (quote) => quote.ordinal === block.quoteOrdinal,
        ),
        'quote',
      ),
  },
  ImageBlock: {
    image: async (block, _args, context) =>
      required(
        (await loadArticlePart(context, block.articleId, 'bodyImages')).find(
          (image) => image.id === block.imageId,
        ),
        'image',
      ),
  },
  RelatedLinkBlock: {
    link: async (block, _args, context, info) =>
      required(
        (await linksOf(context, block.articleId, info)).find((link) => link.position === block.linkPosition),
        'related link',
      ),
  },
};
