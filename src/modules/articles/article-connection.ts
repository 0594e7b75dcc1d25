import {
  decodeCursor,
  encodeCursor,
  pageSize,
  toConnection,
  type ConnectionParent,
} from '../../shared/connection.ts';
import type { ArticleFilter } from '../../generated/resolvers-types.ts';
import type { GraphQLContext } from '../context.ts';
import type { ArticleListFilter, ArticleOrder } from './articles.repository.ts';
import type { ArticleParent } from '../parents.ts';

/** Resolves any list of articles (`Query.articles`, `Section.articles`, `Person.mentionedIn`, …). */
export async function resolveArticleConnection(
  context: GraphQLContext,
  args: {
    readonly filter: ArticleListFilter;
    readonly order?: ArticleOrder;
    readonly first: number | null | undefined;
    readonly after: string | null | undefined;
  },
): Promise<ConnectionParent<ArticleParent>> {
  const order = args.order ?? 'newest';
  const limit = pageSize(args.first);
  const ordering = `articles:${order}`;
  const position = args.after ? decodeCursor(args.after, ordering, ['date', 'int']) : undefined;
  const rows = await context.loaders.articlePage.load({
    filter: args.filter,
    order,
    limit,
    after: position ? [new Date(position[0]), position[1]] : undefined,
  });
  const keyOf = (row: (typeof rows)[number]) => (order === 'updated' ? row.updated_at : row.listed_at);
  return toConnection(rows, limit, (row) => encodeCursor(ordering, [keyOf(row).toISOString(), row.id]), {
    after: args.after,
    totalCount: () => context.loaders.articleCount.load(args.filter),
  });
}

/** `ArticleFilter` as the repository takes it (shared with `Query.search`). */
export function toListFilter(filter: ArticleFilter | null | undefined): ArticleListFilter {
  if (!filter) return {};
  return {
    ...(filter.section != null && { sectionSlug: filter.section }),
    ...(filter.tag != null && { tagSlug: filter.tag }),
    ...(filter.person != null && { personSlug: filter.person }),
    ...(filter.publishedAfter != null && { publishedAfter: filter.publishedAfter }),
    ...(filter.publishedBefore != null && { publishedBefore: filter.publishedBefore }),
    ...(filter.updatedAfter != null && { updatedAfter: filter.updatedAfter }),
  };
}
