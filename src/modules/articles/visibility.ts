import { sql, type Expression, type SqlBool } from 'kysely';
import { hasScope, type Viewer } from '../../shared/viewer.ts';
import type { ArticleParent } from '../parents.ts';

/**
 * The one visibility rule: an article is public once it is published and its publication time has
 * come (a future `published_at` is an embargo), and it has not been taken down. Callers with the
 * `preview` scope also see drafts and embargoed articles; a taken-down article (a legal removal) is
 * gone for everyone but the `editor` scope, which sees everything. Quotes, links, mentions, search
 * and every list inherit it through their article; every repository query that reaches articles
 * applies it here, so no resolver decides visibility on its own. `isPublic` is the same rule for a
 * row already loaded, and `NEXT_EMBARGO_LIFT_SQL` finds when it next changes. A signed preview link
 * (`viewer.previewArticleId`) adds its one article, unless taken down.
 *
 * @param articles the alias of the `articles` table in the query.
 */
export function articleIsVisible(viewer: Viewer, articles = 'articles'): Expression<SqlBool> {
  if (hasScope(viewer, 'editor')) return sql<SqlBool>`true`;
  const present = sql<SqlBool>`${sql.ref(`${articles}.taken_down_at`)} is null`;
  if (hasScope(viewer, 'preview')) return present;
  const published = sql<SqlBool>`(${sql.ref(`${articles}.status`)} = 'published' and ${sql.ref(`${articles}.published_at`)} <= now() and ${present})`;
  if (viewer.previewArticleId === undefined) return published;
  return sql<SqlBool>`(${published} or (${sql.ref(`${articles}.id`)} = ${viewer.previewArticleId} and ${present}))`;
}

/** The part of a cache key that visibility decides: two viewers with equal keys see the same content. */
export function visibilityKey(viewer: Viewer): 'editor' | 'preview' | 'public' {
  return hasScope(viewer, 'editor') ? 'editor' : hasScope(viewer, 'preview') ? 'preview' : 'public';
}

/** The rule for an anonymous viewer, on a loaded row: public, so anyone may see it and caches may share it. */
export function isPublic(
  article: Pick<ArticleParent, 'status' | 'published_at'> & { readonly taken_down_at?: Date | null },
  now = new Date(),
): boolean {
  return (
    article.status === 'published' &&
    article.published_at !== null &&
    article.published_at <= now &&
    (article.taken_down_at ?? null) === null
  );
}

/** Whether a loaded row was taken down (a legal removal): pages answer 410 Gone for it. */
export function isTakenDown(article: { readonly taken_down_at?: Date | null }): boolean {
  return (article.taken_down_at ?? null) !== null;
}

/**
 * Epoch milliseconds of the next embargo lift (`min(published_at)` of published articles still in the
 * future, as `at`; null when none): when the rule's answer for some article next changes by itself.
 * `listed_at` equals a dated article's `published_at`, and its index finds the few future ones.
 */
export const NEXT_EMBARGO_LIFT_SQL = `select (extract(epoch from min(published_at)) * 1000)::float8 as at from articles
         where status = 'published' and published_at > now() and listed_at > now() and taken_down_at is null`;

/** States of an article in which a `preview` caller sees it: anything but gone. */
const PRESENT_STATES = `('draft', 'embargoed', 'published')`;

/**
 * The same rule for an event of the change log (`article_changes`, which records the article's
 * state before and after the event, judged at the event): a caller sees an event when it could see
 * the article before or after it. So it sees the takedown, unpublish or deletion of anything it
 * could have seen, never the edits of a draft, and the publish of an embargoed story only from the
 * event that lifts the embargo. `editor` sees every event.
 *
 * @param changes the alias of the `article_changes` table in the query.
 */
export function changeIsVisible(viewer: Viewer, changes = 'article_changes'): Expression<SqlBool> {
  if (hasScope(viewer, 'editor')) return sql<SqlBool>`true`;
  const before = sql.ref(`${changes}.state_before`);
  const after = sql.ref(`${changes}.state_after`);
  const present = sql<SqlBool>`(${before} in ${sql.raw(PRESENT_STATES)} or ${after} in ${sql.raw(PRESENT_STATES)})`;
  if (hasScope(viewer, 'preview')) return present;
  const published = sql<SqlBool>`(${before} = 'published' or ${after} = 'published')`;
  if (viewer.previewArticleId === undefined) return published;
  return sql<SqlBool>`(${published} or (${sql.ref(`${changes}.article_id`)} = ${viewer.previewArticleId} and ${present}))`;
}

/**
 * An article's state for the change log, judged at `at` (a timestamptz expression): the states
 * `changeIsVisible` reads. A published article whose time has not come is embargoed.
 *
 * @param articles the alias of the `articles` table (or of a row with its `status`, `published_at`, `taken_down_at`).
 */
export function articleChangeState(at: Expression<unknown>, articles = 'articles'): Expression<string> {
  const column = (name: string) => sql.ref(`${articles}.${name}`);
  return sql<string>`(case when ${column('taken_down_at')} is not null then 'taken_down'
    when ${column('status')} = 'published' and ${column('published_at')} <= ${at} then 'published'
    when ${column('status')} = 'published' and ${column('published_at')} > ${at} then 'embargoed'
    else 'draft' end)`;
}
