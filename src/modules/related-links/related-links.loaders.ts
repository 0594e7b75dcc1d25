import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { manyInKeyOrder, oneInKeyOrder } from '../../shared/batch.ts';
import { typed } from '../../shared/typename.ts';
import type { Viewer } from '../../shared/viewer.ts';
import type { RelatedLinkParent } from './related-links.mappers.ts';
import * as repository from './related-links.repository.ts';

export function createRelatedLinkLoaders(db: Kysely<Database>, viewer: Viewer) {
  const relatedLinkById = new DataLoader<number, RelatedLinkParent | null>(async (ids) =>
    oneInKeyOrder(
      ids,
      (await repository.findRelatedLinksByIds(db, viewer, ids)).map((row) => typed('RelatedLink', row)),
      (row) => row.id,
    ),
  );
  const relatedLinksByArticle = new DataLoader<number, RelatedLinkParent[]>(async (articleIds) => {
    const rows = (await repository.listRelatedLinksByArticleIds(db, articleIds)).map((row) =>
      typed('RelatedLink', row),
    );
    for (const row of rows) relatedLinkById.prime(row.id, row);
    return manyInKeyOrder(articleIds, rows, (row) => row.article_id);
  });
  return { relatedLinkById, relatedLinksByArticle };
}
