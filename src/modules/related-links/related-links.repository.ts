import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { Viewer } from '../../shared/viewer.ts';
import { articleIsVisible } from '../../shared/visibility.ts';

/** Links of articles the caller already holds (so already visible), in display order. */
export function listRelatedLinksByArticleIds(db: Kysely<Database>, articleIds: readonly number[]) {
  return db
    .selectFrom('related_links')
    .selectAll()
    .where('article_id', 'in', articleIds)
    .orderBy('article_id')
    .orderBy('position')
    .execute();
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
