import type { Resolvers } from '../../generated/resolvers-types.ts';
import { badUserInput, describeValue } from '../../shared/errors.ts';
import { decodeCursor, encodeCursor, pageSize, toConnection } from '../../shared/connection.ts';
import { fromGlobalIdOf, toGlobalId, type NodeType } from '../../shared/global-id.ts';
import type { GraphQLContext } from '../context.ts';
import { resolveArticleConnection } from '../articles/index.ts';
import { resolveQuoteConnection } from '../quotes/index.ts';
import { validateSearchText, withoutHonorifics } from '../search/index.ts';
import type { MatchedPersonRow } from './people.repository.ts';
import type { PersonParent } from '../parents.ts';

/** `id` or `slug`, exactly one: the shared rule of `Query.person` and `Query.organization`. */
function byIdOrSlug<T>(
  type: NodeType,
  args: { id?: string | null; slug?: string | null },
  load: { byId: (id: number) => Promise<T | null>; bySlug: (slug: string) => Promise<T | null> },
): Promise<T | null> | null {
  if ((args.id == null) === (args.slug == null)) {
    throw badUserInput(`Query.${type.toLowerCase()} takes exactly one of "id" or "slug"`);
  }
  if (args.slug != null) return load.bySlug(args.slug);
  const id = fromGlobalIdOf(type, args.id!, 'id');
  return id === undefined ? null : load.byId(id);
}

const PEOPLE_ORDERING = 'people:name';
const MATCH_ORDERING = 'people:match';

async function resolvePeople(
  context: GraphQLContext,
  args: { query?: string | null; first?: number | null; after?: string | null },
) {
  const limit = pageSize(args.first);
  if (args.query === null || args.query === undefined) {
    const position = args.after ? decodeCursor(args.after, PEOPLE_ORDERING, ['string', 'int']) : undefined;
    const rows = await context.loaders.peoplePage.load({ query: undefined, limit, after: position });
    return toConnection(rows, limit, (row) => encodeCursor(PEOPLE_ORDERING, [row.name, row.id]), {
      after: args.after,
      totalCount: () => context.loaders.peopleCount.load(''),
    });
  }
  const typed = validateSearchText(args.query, 'query');
  if (!/[\p{L}\p{N}]/u.test(typed)) {
    throw badUserInput(
      `Argument "query" must hold at least one letter or digit to look a name up, got ${describeValue(typed)}`,
      'query',
    );
  }
  const query = withoutHonorifics(typed);
  const position = args.after
    ? decodeCursor(args.after, MATCH_ORDERING, ['int', 'number', 'int', 'string', 'int'])
    : undefined;
  const rows = (await context.loaders.peoplePage.load({ query, limit, after: position })) as (PersonParent &
    Partial<MatchedPersonRow>)[];
  return toConnection(
    rows,
    limit,
    (row) => encodeCursor(MATCH_ORDERING, [row.tier!, row.closeness!, row.appearances!, row.name, row.id]),
    { after: args.after, totalCount: () => context.loaders.peopleCount.load(query) },
  );
}

export const peopleResolvers: Resolvers = {
  Query: {
    person: (_parent, args, context) =>
      byIdOrSlug('Person', args, {
        byId: (id) => context.loaders.personById.load(id),
        bySlug: (slug) => context.loaders.personBySlug.load(slug),
      }),
    organization: (_parent, args, context) =>
      byIdOrSlug('Organization', args, {
        byId: (id) => context.loaders.organizationById.load(id),
        bySlug: (slug) => context.loaders.organizationBySlug.load(slug),
      }),
    people: (_parent, args, context) => resolvePeople(context, args),
  },
  Person: {
    id: (person) => toGlobalId('Person', person.id),
    articles: (person, args, context, info) =>
      resolveArticleConnection(
        context,
        { filter: { authorId: person.id }, first: args.first, after: args.after },
        info,
      ),
    mentionedIn: (person, args, context, info) =>
      resolveArticleConnection(
        context,
        { filter: { mentionedPersonId: person.id }, first: args.first, after: args.after },
        info,
      ),
    quotes: (person, args, context, info) =>
      resolveQuoteConnection(
        context,
        { filter: { speakerPersonId: person.id }, first: args.first, after: args.after },
        info,
      ),
  },
  Organization: {
    id: (organization) => toGlobalId('Organization', organization.id),
    quotes: (organization, args, context, info) =>
      resolveQuoteConnection(
        context,
        { filter: { speakerOrganizationId: organization.id }, first: args.first, after: args.after },
        info,
      ),
    mentionedIn: (organization, args, context, info) =>
      resolveArticleConnection(
        context,
        { filter: { mentionedOrganizationId: organization.id }, first: args.first, after: args.after },
        info,
      ),
  },
};
