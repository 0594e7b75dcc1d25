import type { Resolvers } from '../../generated/resolvers-types.ts';
import { decodeCursor, encodeCursor, pageSize } from '../../shared/connection.ts';
import type { GraphQLContext } from '../context.ts';
import { toListFilter } from '../articles/index.ts';
import { requireFieldRight } from '../partners/index.ts';
import { searchText, toHighlightHtml } from './search-text.ts';
import type { SearchConnectionParent, SearchEdgeParent } from './search.mappers.ts';
import type { SearchOrder, SearchPageQuery } from './search.repository.ts';
import type { ArticleParent, OrganizationParent, PersonParent, TagParent } from '../parents.ts';

const present = <T>(value: T | null | Error | undefined): value is T =>
  value !== null && value !== undefined && !(value instanceof Error);

async function resolveSearch(
  context: GraphQLContext,
  args: {
    query: string;
    first?: number | null;
    after?: string | null;
    filter?: Parameters<typeof toListFilter>[0];
    orderBy?: 'RELEVANCE' | 'NEWEST' | null;
  },
): Promise<SearchConnectionParent> {
  const limit = pageSize(args.first);
  const order: SearchOrder = args.orderBy === 'NEWEST' ? 'newest' : 'relevance';
  const ordering = `search:${order}`;
  const text = await searchText(context, args.query, 'query');
  const filter = toListFilter(args.filter);
  // A cursor carries the instant its first page measured recency from, so later pages rank alike.
  let asOf = new Date();
  let after: SearchPageQuery['after'];
  if (args.after) {
    if (order === 'relevance') {
      const [score, id, from] = decodeCursor(args.after, ordering, ['number', 'int', 'date']);
      after = [score, id];
      asOf = new Date(from);
    } else {
      const [listedAt, id, from] = decodeCursor(args.after, ordering, ['date', 'int', 'date']);
      after = [new Date(listedAt), id];
      asOf = new Date(from);
    }
  }
  const rows = await context.loaders.searchPage.load({ text, filter, order, limit, asOf, after });
  const page = rows.slice(0, limit);
  const articles = await context.loaders.articleById.loadMany(page.map((row) => row.id));
  const edges: SearchEdgeParent[] = [];
  page.forEach((row, index) => {
    const node = articles[index];
    // Gone between the two reads (deleted or unpublished): left out rather than failing the page.
    if (!present<ArticleParent>(node)) return;
    const key = order === 'relevance' ? row.score : row.listed_at.toISOString();
    edges.push({
      cursor: encodeCursor(ordering, [key, row.id, asOf.toISOString()]),
      node,
      rank: row.score,
      highlights: {
        headline: toHighlightHtml(row.headline_html),
        standfirst: toHighlightHtml(row.standfirst_html),
        body: toHighlightHtml(row.body_html),
      },
    });
  });
  return {
    edges,
    nodes: edges.map((edge) => edge.node),
    pageInfo: {
      hasNextPage: rows.length > limit,
      hasPreviousPage: args.after !== null && args.after !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    total: () => context.loaders.searchTotal.load({ text, filter }),
  };
}

export const searchResolvers: Resolvers = {
  Query: {
    search: (_parent, args, context) => resolveSearch(context, args),
  },
  SearchConnection: {
    totalCount: async (connection) => (await connection.total()).count,
    totalCountIsEstimate: async (connection) => (await connection.total()).estimate,
  },
  ArticleHighlights: {
    // Fragments of the body are body text: the same right as `Article.body`.
    body: (highlights, _args, context) => {
      requireFieldRight(context.viewer, 'body', 'ArticleHighlights.body');
      return highlights.body;
    },
  },
  QuoteEdge: {
    rank: (edge) => edge.node.search?.rank ?? null,
    highlights: (edge) =>
      edge.node.search
        ? { text: toHighlightHtml(edge.node.search.text), context: toHighlightHtml(edge.node.search.context) }
        : null,
  },
  Article: {
    relatedArticles: async (article, args, context) => {
      const limit = pageSize(args.first, 'first');
      if (limit === 0) return [];
      const rows = await context.loaders.relatedArticles.load({ id: article.id, limit });
      const articles = await context.loaders.articleById.loadMany(rows.map((row) => row.id));
      return rows.flatMap((row, index) => {
        const related = articles[index];
        return present<ArticleParent>(related)
          ? [{ article: related, score: row.score, reasons: row.reasons }]
          : [];
      });
    },
  },
  Person: {
    quotedWith: async (person, args, context) => {
      const limit = pageSize(args.first, 'first');
      if (limit === 0) return [];
      const rows = await context.loaders.quotedWith.load({ id: person.id, limit });
      const speakers = await Promise.all(
        rows.map((row) =>
          row.speaker_person_id !== null
            ? context.loaders.personById.load(row.speaker_person_id)
            : context.loaders.organizationById.load(row.speaker_organization_id!),
        ),
      );
      return rows.flatMap((row, index) => {
        const speaker = speakers[index];
        return present<PersonParent | OrganizationParent>(speaker)
          ? [{ speaker, articleCount: row.article_count, quoteCount: row.quote_count }]
          : [];
      });
    },
    topics: async (person, args, context) => {
      const limit = pageSize(args.first, 'first');
      if (limit === 0) return [];
      const rows = await context.loaders.personTopics.load({ id: person.id, limit });
      const tags = await context.loaders.tagById.loadMany(rows.map((row) => row.tag_id));
      return rows.flatMap((row, index) => {
        const tag = tags[index];
        return present<TagParent>(tag) ? [{ tag, articleCount: row.article_count }] : [];
      });
    },
  },
};
