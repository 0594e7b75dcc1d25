import type { ImageRow } from '../../db/database.ts';

export type ImageParent = ImageRow;
