import type { Resolvers } from '../../generated/resolvers-types.ts';
import { absoluteMediaUrl } from '../../shared/media-url.ts';

export const imageResolvers: Resolvers = {
  Image: {
    url: (image, _args, context) => absoluteMediaUrl(image.url, context.publicUrl),
  },
};
