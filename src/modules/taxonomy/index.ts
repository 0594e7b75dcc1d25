import type { ModuleManifest } from '../module-manifest.ts';
import { readTypeDefs } from '../module-manifest.ts';
import { createTaxonomyLoaders, type TaxonomyLoaders } from './taxonomy.loaders.ts';
import { taxonomyResolvers } from './taxonomy.resolvers.ts';

export const taxonomyModule: ModuleManifest<TaxonomyLoaders> = {
  name: 'taxonomy',
  typeDefs: readTypeDefs('./taxonomy.graphql', import.meta.url),
  resolvers: taxonomyResolvers,
  loaders: createTaxonomyLoaders,
};
