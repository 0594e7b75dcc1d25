import type { ModuleManifest } from '../module-manifest.ts';
import { readTypeDefs } from '../module-manifest.ts';
import { nodeResolvers } from './node.resolvers.ts';

/** The schema's base (scalars, `@cacheControl`, `Node`, `Query.node`) and global-id lookups. */
export const nodeModule: ModuleManifest = {
  name: 'node',
  typeDefs: readTypeDefs('./node.graphql', import.meta.url),
  resolvers: nodeResolvers,
};
