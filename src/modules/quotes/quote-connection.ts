import {
  decodeCursor,
  encodeCursor,
  pageSize,
  toConnection,
  type ConnectionParent,
} from '../../shared/connection.ts';
import type { GraphQLResolveInfo } from 'graphql';
import { childFields, connectionNodes } from '../../shared/selection.ts';
import type { GraphQLContext } from '../context.ts';
import type { QuoteListFilter } from './quotes.repository.ts';
import type { QuoteParent } from '../parents.ts';

const ORDERING = 'quotes:newest';
const RELEVANCE_ORDERING = 'quotes:relevance';

/**
 * Resolves any list of quotes (`Query.quotes`, `Person.quotes`, `Organization.quotes`); with `info`,
 * a page in newest order brings its quotes' articles when the operation reads them.
 */
export async function resolveQuoteConnection(
  context: GraphQLContext,
  args: {
    readonly filter: QuoteListFilter;
    readonly first: number | null | undefined;
    readonly after: string | null | undefined;
  },
  info?: GraphQLResolveInfo,
): Promise<ConnectionParent<QuoteParent>> {
  const limit = pageSize(args.first);
  const totalCount = () => context.loaders.quoteCount.load(args.filter);
  if (args.filter.text !== undefined) {
    // A text search ranks best match first; its cursor holds the rank, which depends only on the row.
    const position = args.after ? decodeCursor(args.after, RELEVANCE_ORDERING, ['number', 'int']) : undefined;
    const rows = await context.loaders.quotePage.load({ filter: args.filter, limit, after: position });
    return toConnection(rows, limit, (row) => encodeCursor(RELEVANCE_ORDERING, [row.search!.rank, row.id]), {
      after: args.after,
      totalCount,
    });
  }
  const position = args.after ? decodeCursor(args.after, ORDERING, ['date', 'int', 'int']) : undefined;
  const rows = await context.loaders.quotePage.load({
    filter: args.filter,
    limit,
    after: position ? [new Date(position[0]), position[1], position[2]] : undefined,
    ...(info &&
      childFields(connectionNodes(info), info.fragments, 'article').length > 0 && { articles: true }),
  });
  return toConnection(
    rows,
    limit,
    (row) => encodeCursor(ORDERING, [row.listed_at!.toISOString(), row.article_id, row.ordinal]),
    { after: args.after, totalCount },
  );
}
