import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { manyInKeyOrder, oneInKeyOrder } from '../../shared/batch.ts';
import { fromJsonRowOrNull } from '../../shared/json-row.ts';
import { typed } from '../../shared/typename.ts';
import type { Viewer } from '../../shared/viewer.ts';
import type { ArticleParent } from '../articles/articles.mappers.ts';
import type { ImageParent } from '../images/images.mappers.ts';
import type { RelatedLinkParent } from './related-links.mappers.ts';
import * as repository from './related-links.repository.ts';

/** Loaders a link list fills with the links' images and (visible) target articles. */
export interface RelatedLinkPrimes {
  readonly imageById: DataLoader<number, ImageParent | null>;
  readonly articleById: DataLoader<number, ArticleParent | null>;
}

export function createRelatedLinkLoaders(db: Kysely<Database>, viewer: Viewer, primes: RelatedLinkPrimes) {
  const relatedLinkById = new DataLoader<number, RelatedLinkParent | null>(async (ids) =>
    oneInKeyOrder(
      ids,
      (await repository.findRelatedLinksByIds(db, viewer, ids)).map((row) => typed('RelatedLink', row)),
      (row) => row.id,
    ),
  );
  const relatedLinksByArticle = new DataLoader<number, RelatedLinkParent[]>(async (articleIds) => {
    const rows = (await repository.listRelatedLinksByArticleIds(db, viewer, articleIds)).map(
      ({ image, target, ...link }) => {
        const imageRow = fromJsonRowOrNull('images', image);
        if (imageRow) primes.imageById.prime(imageRow.id, imageRow);
        // A target this viewer may not see is primed as null: articleById would answer the same.
        if (link.target_article_id !== null) {
          const article = fromJsonRowOrNull('articles', target);
          primes.articleById.prime(link.target_article_id, article && typed('Article', article));
        }
        return typed('RelatedLink', link);
      },
    );
    for (const row of rows) relatedLinkById.prime(row.id, row);
    return manyInKeyOrder(articleIds, rows, (row) => row.article_id);
  });
  return { relatedLinkById, relatedLinksByArticle };
}
