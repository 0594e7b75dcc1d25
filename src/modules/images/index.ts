import type { ModuleManifest } from '../module-manifest.ts';
import { readTypeDefs } from '../module-manifest.ts';
import { createImageLoaders, type ImageLoaders } from './images.loaders.ts';
import { imageResolvers } from './images.resolvers.ts';

export const imagesModule: ModuleManifest<ImageLoaders> = {
  name: 'images',
  typeDefs: readTypeDefs('./images.graphql', import.meta.url),
  resolvers: imageResolvers,
  loaders: createImageLoaders,
};
