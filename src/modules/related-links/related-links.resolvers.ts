import type { Resolvers } from '../../generated/resolvers-types.ts';
import { toGlobalId } from '../../shared/global-id.ts';

export const relatedLinkResolvers: Resolvers = {
  RelatedLink: {
    id: (link) => toGlobalId('RelatedLink', link.id),
    // A link to one of ours defaults to that article's canonical URL.
    url: (link, _args, context) => link.url ?? `${context.publicUrl}/articles/${link.target_slug!}`,
    image: (link, _args, context) =>
      link.image_id === null ? null : context.loaders.imageById.load(link.image_id),
    target: (link, _args, context) =>
      link.target_article_id === null ? null : context.loaders.articleById.load(link.target_article_id),
  },
};
