import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { manyInKeyOrder, oneInKeyOrder } from '../../shared/batch.ts';
import { fromJsonRowOrNull } from '../../db/json-row.ts';
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

/** The links of one article, and whether the caller will read their targets. */
export interface LinksOfArticle {
  readonly articleId: number;
  readonly targets: boolean;
}

export function createRelatedLinkLoaders(db: Kysely<Database>, viewer: Viewer, primes: RelatedLinkPrimes) {
  const relatedLinkById = new DataLoader<number, RelatedLinkParent | null>(async (ids) =>
    oneInKeyOrder(
      ids,
      (await repository.findRelatedLinksByIds(db, viewer, ids)).map((row) => typed('RelatedLink', row)),
      (row) => row.id,
    ),
  );
  // Keyed by article and whether the caller reads targets; every key of a tick is one statement,
  // which brings the (visible) targets, priming articleById, when any key asks for them.
  const relatedLinksByArticle = new DataLoader<LinksOfArticle, RelatedLinkParent[], string>(
    async (keys) => {
      const articleIds = [...new Set(keys.map((key) => key.articleId))];
      const targets = keys.some((key) => key.targets);
      const rows = (await repository.listRelatedLinksByArticleIds(db, viewer, articleIds, { targets })).map(
        ({ image, target, ...link }) => {
          const imageRow = fromJsonRowOrNull('images', image);
          if (imageRow) primes.imageById.prime(imageRow.id, imageRow);
          // A target this viewer may not see is primed as null: articleById would answer the same.
          if (targets && link.target_article_id !== null) {
            const article = fromJsonRowOrNull('articles', target);
            primes.articleById.prime(link.target_article_id, article && typed('Article', article));
          }
          return typed('RelatedLink', link);
        },
      );
      for (const row of rows) relatedLinkById.prime(row.id, row);
      const lists = manyInKeyOrder(articleIds, rows, (row) => row.article_id);
      const byArticle = new Map(articleIds.map((id, index) => [id, lists[index]!]));
      return keys.map((key) => byArticle.get(key.articleId)!);
    },
    { cacheKeyFn: (key) => `${key.articleId}:${key.targets}` },
  );
  return { relatedLinkById, relatedLinksByArticle };
}
