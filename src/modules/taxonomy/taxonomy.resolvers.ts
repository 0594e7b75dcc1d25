import type { Resolvers } from '../../generated/resolvers-types.ts';
import { toGlobalId } from '../../shared/global-id.ts';
import { resolveArticleConnection } from '../articles/index.ts';

export const taxonomyResolvers: Resolvers = {
  Query: {
    section: (_parent, args, context) => context.loaders.sectionBySlug.load(args.slug),
    sections: (_parent, _args, context) => context.loaders.allSections.load('all'),
    tag: (_parent, args, context) => context.loaders.tagBySlug.load(args.slug),
  },
  Section: {
    id: (section) => toGlobalId('Section', section.id),
    articles: (section, args, context, info) =>
      resolveArticleConnection(
        context,
        { filter: { sectionId: section.id }, first: args.first, after: args.after },
        info,
      ),
  },
  Tag: {
    id: (tag) => toGlobalId('Tag', tag.id),
    articles: (tag, args, context, info) =>
      resolveArticleConnection(
        context,
        { filter: { tagId: tag.id }, first: args.first, after: args.after },
        info,
      ),
  },
};
