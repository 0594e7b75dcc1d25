import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { oneInKeyOrder } from '../../shared/batch.ts';
import type { ImageParent } from './images.mappers.ts';
import { findImagesByIds } from './images.repository.ts';

export function createImageLoaders(db: Kysely<Database>) {
  const imageById = new DataLoader<number, ImageParent | null>(async (ids) =>
    oneInKeyOrder(ids, await findImagesByIds(db, ids), (row) => row.id),
  );
  return { imageById };
}
