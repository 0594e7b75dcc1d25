import { oneInKeyOrder } from '../../shared/batch.ts';
import { findImagesByIds } from './images.repository.ts';
import type { ImageParent } from '../parents.ts';
import { cacheTags as tag } from '../../shared/cache-tags.ts';
import { createLoader, type LoaderScope } from '../create-loader.ts';

declare module '../loader-types.ts' {
  interface Loaders extends ImageLoaders {}
}

export type ImageLoaders = ReturnType<typeof createImageLoaders>;

export function createImageLoaders({ db, hooks }: LoaderScope) {
  const imageById = createLoader<number, ImageParent | null>(
    'imageById',
    async (ids) => oneInKeyOrder(ids, await findImagesByIds(db, ids), (row) => row.id),
    { hooks, tags: (id) => [tag.image(id)] },
  );
  return { imageById };
}
