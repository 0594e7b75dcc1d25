import type { GraphQLContext } from '../context.ts';
import type { ArticleParts } from './articles.mappers.ts';
import type { ArticlePart } from './articles.repository.ts';

/** One part of a visible article; every part asked for in one tick comes from one statement. */
export function loadArticlePart<P extends ArticlePart>(
  context: GraphQLContext,
  articleId: number,
  part: P,
): Promise<ArticleParts[P]> {
  return context.loaders.articleParts.load({ articleId, part }) as Promise<ArticleParts[P]>;
}
