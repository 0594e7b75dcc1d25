import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { Viewer } from '../../shared/viewer.ts';
import { articleIsVisible } from '../articles/index.ts';

/** Links, each with its image as a JSON row and, with `targets`, its target article if the viewer may see it. */
function linksWithTargets(db: Kysely<Database>, viewer: Viewer, targets: boolean) {
  return db
    .selectFrom('related_links')
    .selectAll()
    .select(
      sql<unknown>`(select to_json(images) from images where images.id = related_links.image_id)`.as('image'),
    )
    .$if(targets, (query) =>
      query.select(
        sql<unknown>`(select to_json(target) from articles as target
          where target.id = related_links.target_article_id and ${articleIsVisible(viewer, 'target')})`.as(
          'target',
        ),
      ),
    );
}

/**
 * Links of articles the caller already holds (so already visible), in display order, each with its
 * image as a JSON row (`to_json`); with `targets`, also its target article, null unless the viewer
 * may see it, by the same rule as every other query that reaches articles.
 */
export function listRelatedLinksByArticleIds(
  db: Kysely<Database>,
  viewer: Viewer,
  articleIds: readonly number[],
  { targets }: { readonly targets: boolean },
) {
  return linksWithTargets(db, viewer, targets)
    .where('article_id', 'in', articleIds)
    .orderBy('article_id')
    .orderBy('position')
    .execute();
}

/**
 * The links of the outer query's `articles` row (visible: the outer query applied the rule) as one
 * JSON array in display order, rows as `listRelatedLinksByArticleIds` gives them: the article's
 * statement brings them along (`src/modules/article-children.ts`).
 */
export function relatedLinksOfArticleJson(db: Kysely<Database>, viewer: Viewer, targets: boolean) {
  const links = linksWithTargets(db, viewer, targets).where(
    'related_links.article_id',
    '=',
    sql.ref<number>('articles.id'),
  );
  return sql<unknown>`(select coalesce(json_agg(link order by link.position), '[]') from (${links}) as link)`;
}

/** Links by id, only where the article showing them is visible to the viewer. */
export function findRelatedLinksByIds(db: Kysely<Database>, viewer: Viewer, ids: readonly number[]) {
  return db
    .selectFrom('related_links')
    .innerJoin('articles', 'articles.id', 'related_links.article_id')
    .selectAll('related_links')
    .where('related_links.id', 'in', ids)
    .where(articleIsVisible(viewer))
    .execute();
}
