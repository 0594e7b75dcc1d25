import type DataLoader from 'dataloader';
import { manyInKeyOrder, oneInKeyOrder } from '../../shared/batch.ts';
import { fromJsonRow, fromJsonRowOrNull } from '../../db/json-row.ts';
import type { ArticleChild } from '../article-children.ts';
import type { Loaders } from '../loader-types.ts';
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
      const rows = reviveLinks(
        primes,
        await repository.listRelatedLinksByArticleIds(db, viewer, articleIds, { targets }),
        targets,
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

type LinkRowWithParts = Omit<RelatedLinkParent, '__typename'> & {
  readonly image?: unknown;
  readonly target?: unknown;
};

/** Link rows as the loaders return them, their images and (with `targets`) targets primed. */
function reviveLinks(
  primes: RelatedLinkPrimes,
  rows: readonly LinkRowWithParts[],
  targets: boolean,
): RelatedLinkParent[] {
  return rows.map(({ image, target, ...link }) => {
    const imageRow = fromJsonRowOrNull('images', image);
    if (imageRow) primes.imageById.prime(imageRow.id, imageRow);
    // A target this viewer may not see is primed as null: articleById would answer the same.
    if (targets && link.target_article_id !== null) {
      const article = fromJsonRowOrNull('articles', target);
      primes.articleById.prime(link.target_article_id, article && typed('Article', article));
    }
    return typed('RelatedLink', link);
  });
}

/** An article's links brought by the article's own statement, as `relatedLinksByArticle` would load them. */
export const relatedLinksOfArticle: ArticleChild = {
  json: (db, viewer, targets) => repository.relatedLinksOfArticleJson(db, viewer, targets),
  prime(loaders: Loaders, articleId, json, targets) {
    const rows = reviveLinks(
      loaders,
      (json as unknown[]).map((row) => fromJsonRow('related_links', row) as LinkRowWithParts),
      targets,
    );
    for (const row of rows) loaders.relatedLinkById.prime(row.id, row);
    // The rows are the same either way; targets were primed only if brought.
    loaders.relatedLinksByArticle.prime({ articleId, targets: false }, rows);
    if (targets) loaders.relatedLinksByArticle.prime({ articleId, targets: true }, rows);
  },
};
