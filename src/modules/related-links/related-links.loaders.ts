import type DataLoader from 'dataloader';
import { manyInKeyOrder, oneInKeyOrder } from '../../shared/batch.ts';
import { fromJsonRowOrNull } from '../../db/json-row.ts';
import { typed } from '../../shared/typename.ts';
import * as repository from './related-links.repository.ts';
import type { ArticleParent, ImageParent, RelatedLinkParent } from '../parents.ts';
import { cacheTags as tag } from '../../shared/cache-tags.ts';
import { createLoader, type LoaderScope } from '../create-loader.ts';

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

declare module '../loader-types.ts' {
  interface Loaders extends RelatedLinkLoaders {}
}

export type RelatedLinkLoaders = ReturnType<typeof createRelatedLinkLoaders>;

export function createRelatedLinkLoaders({ db, viewer, hooks, loaders: primes }: LoaderScope) {
  const relatedLinkById = createLoader<number, RelatedLinkParent | null>(
    'relatedLinkById',
    async (ids) =>
      oneInKeyOrder(
        ids,
        (await repository.findRelatedLinksByIds(db, viewer, ids)).map((row) => typed('RelatedLink', row)),
        (row) => row.id,
      ),
    {
      hooks,
      // A link not found (or not visible) appears only through ingest.
      tags: (_id, link) => (link ? [tag.article(link.article_id)] : [tag.allArticles]),
    },
  );
  // Keyed by article and whether the caller reads targets; every key of a tick is one statement,
  // which brings the (visible) targets, priming articleById, when any key asks for them.
  const relatedLinksByArticle = createLoader<LinksOfArticle, RelatedLinkParent[], string>(
    'relatedLinksByArticle',
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
    {
      cacheKeyFn: (key) => `${key.articleId}:${key.targets}`,
      hooks,
      tags: ({ articleId }) => [tag.article(articleId)],
    },
  );
  return { relatedLinkById, relatedLinksByArticle };
}
