import type { Resolvers } from '../../generated/resolvers-types.ts';
import { badUserInput } from '../../shared/errors.ts';
import { fromGlobalId, type NodeType } from '../../shared/global-id.ts';
import type { GraphQLContext } from '../context.ts';
import type { Loaders } from '../loader-types.ts';

const MAX_NODES = 100;

type NodeParent = NonNullable<Awaited<ReturnType<Loaders[`${Uncapitalize<NodeType>}ById`]['load']>>>;
type NodeLoaders = Record<NodeType, (context: GraphQLContext, id: number) => Promise<NodeParent | null>>;

const loadNode: NodeLoaders = {
  Article: (context, id) => context.loaders.articleById.load(id),
  Person: (context, id) => context.loaders.personById.load(id),
  Organization: (context, id) => context.loaders.organizationById.load(id),
  Quote: (context, id) => context.loaders.quoteById.load(id),
  Section: (context, id) => context.loaders.sectionById.load(id),
  Tag: (context, id) => context.loaders.tagById.load(id),
  RelatedLink: (context, id) => context.loaders.relatedLinkById.load(id),
};

function load(context: GraphQLContext, globalId: string, argument: string) {
  const { type, id } = fromGlobalId(globalId, argument);
  return loadNode[type](context, id);
}

export const nodeResolvers: Resolvers = {
  Query: {
    node: (_parent, args, context) => load(context, args.id, 'id'),
    nodes: (_parent, args, context) => {
      if (args.ids.length > MAX_NODES) {
        throw badUserInput(`Argument "ids" takes at most ${MAX_NODES} IDs, got ${args.ids.length}`, 'ids');
      }
      return Promise.all(args.ids.map((id, index) => load(context, id, `ids[${index}]`)));
    },
  },
  Node: {
    __resolveType: (node) => node.__typename,
  },
  Block: {
    __resolveType: (block) => block.__typename,
  },
};
