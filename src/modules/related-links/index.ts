import type { ModuleManifest } from '../module-manifest.ts';
import { readTypeDefs } from '../module-manifest.ts';
import {
  createRelatedLinkLoaders,
  relatedLinksOfArticle,
  type RelatedLinkLoaders,
} from './related-links.loaders.ts';
import { relatedLinkResolvers } from './related-links.resolvers.ts';

export const relatedLinksModule: ModuleManifest<RelatedLinkLoaders> = {
  name: 'related-links',
  typeDefs: readTypeDefs('./related-links.graphql', import.meta.url),
  resolvers: relatedLinkResolvers,
  loaders: createRelatedLinkLoaders,
  articleChildren: { relatedLinks: relatedLinksOfArticle },
};
