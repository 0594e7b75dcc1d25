import { GraphQLError } from 'graphql';
import type { ArticleChangeType } from '../../db/database.ts';
import type {
  ChangeFilter as ChangeFilterInput,
  ChangeType,
  Resolvers,
} from '../../generated/resolvers-types.ts';
import { pageSize } from '../../shared/connection.ts';
import { fromGlobalIdOf, toGlobalId } from '../../shared/global-id.ts';
import type { GraphQLContext } from '../context.ts';
import { decodeChangeCursor, encodeChangeCursor } from './change-cursor.ts';
import type { ChangeEventConnectionParent } from './changes.mappers.ts';
import type { ChangeFilter, ChangePage } from './changes.repository.ts';

/** The code in `extensions.reason` of the error a cursor older than the retention gets. */
export const CHANGES_CURSOR_EXPIRED = 'CHANGES_CURSOR_EXPIRED';

const toType = (type: ChangeType) => type.toLowerCase() as ArticleChangeType;
const fromType = (type: ArticleChangeType) => type.toUpperCase() as ChangeType;

/** Slugs to ids (an unknown slug matches nothing); the article's global ID to its id. */
export async function toChangeFilter(
  context: GraphQLContext,
  filter: ChangeFilterInput | null | undefined,
): Promise<ChangeFilter> {
  if (!filter) return {};
  const ids = (rows: readonly ({ id: number } | null)[]) => rows.flatMap((row) => (row ? [row.id] : []));
  const articleId =
    filter.article != null ? fromGlobalIdOf('Article', filter.article, 'filter.article') : null;
  return {
    ...(filter.types != null && { types: filter.types.map(toType) }),
    ...(filter.sections != null && {
      sectionIds: ids(await context.loaders.sectionBySlug.loadMany(filter.sections).then(settled)),
    }),
    ...(filter.tags != null && {
      tagIds: ids(await context.loaders.tagBySlug.loadMany(filter.tags).then(settled)),
    }),
    // A well-formed ID of something else than an article matches no event.
    ...(filter.article != null && {
      articleIds: articleId === undefined || articleId === null ? [] : [articleId],
    }),
  };
}

function settled<T>(values: readonly (T | Error)[]): T[] {
  for (const value of values) if (value instanceof Error) throw value;
  return values as T[];
}

/** Refuses a cursor the log can no longer (or never could) continue from, naming `after`. */
function checkCursor(after: number, page: ChangePage): void {
  if (after < page.prunedThrough) {
    throw new GraphQLError(
      `Argument "after" names position ${after}, but events up to position ${page.prunedThrough} are past the retention and were deleted: ` +
        'expected a cursor within the retention. Resync: read the current cursor from `changesHead`, copy everything again through `articles`, then follow `changes` from that cursor (docs/changes.md)',
      { extensions: { code: 'BAD_USER_INPUT', argumentName: 'after', reason: CHANGES_CURSOR_EXPIRED } },
    );
  }
  if (after > page.head) {
    throw new GraphQLError(
      `Argument "after" names position ${after}, but the change log ends at position ${page.head}: expected a cursor this log returned (a log restored from a backup starts again: resync, docs/changes.md)`,
      { extensions: { code: 'BAD_USER_INPUT', argumentName: 'after' } },
    );
  }
}

export const changeResolvers: Resolvers = {
  Query: {
    changes: async (_parent, args, context): Promise<ChangeEventConnectionParent> => {
      const first = pageSize(args.first);
      const after = args.after != null ? decodeChangeCursor(args.after, 'after') : 0;
      const filter = await toChangeFilter(context, args.filter);
      const page = await context.loaders.changePage.load({ after, first, filter });
      if (args.after != null) checkCursor(after, page);
      const edges = page.events.map((node) => ({ cursor: encodeChangeCursor(node.position), node }));
      return {
        edges,
        nodes: page.events,
        pageInfo: {
          hasNextPage: page.hasNextPage,
          hasPreviousPage: args.after != null,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: encodeChangeCursor(page.endPosition),
        },
      };
    },
    changesHead: async (_parent, _args, context) =>
      encodeChangeCursor(await context.loaders.changesHead.load('head')),
  },
  ChangeEvent: {
    position: (event) => String(event.position),
    type: (event) => fromType(event.type),
    occurredAt: (event) => event.occurred_at,
    articleId: (event) => toGlobalId('Article', event.article_id),
    previousSlug: (event) => event.previous_slug,
    article: async (event, _args, context) => {
      if (event.state_after === 'taken_down' || event.state_after === 'absent') return null;
      const article = await context.loaders.articleById.load(event.article_id);
      return article && article.taken_down_at === null ? article : null;
    },
  },
};
