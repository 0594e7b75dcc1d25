import { sql, type Expression, type SqlBool } from 'kysely';
import { hasScope, type Viewer } from './viewer.ts';

/**
 * The one visibility rule: an article is public once it is published and its publication time has
 * come (a future `published_at` is an embargo). Callers with the `preview` scope see everything.
 * Quotes, links, mentions and every list inherit it through their article; every repository query
 * that reaches articles applies it here, so no resolver decides visibility on its own.
 *
 * @param articles the alias of the `articles` table in the query.
 */
export function articleIsVisible(viewer: Viewer, articles = 'articles'): Expression<SqlBool> {
  if (hasScope(viewer, 'preview')) return sql<SqlBool>`true`;
  return sql<SqlBool>`(${sql.ref(`${articles}.status`)} = 'published' and ${sql.ref(`${articles}.published_at`)} <= now())`;
}

/** The part of a cache key that visibility decides: two viewers with equal keys see the same content. */
export function visibilityKey(viewer: Viewer): 'preview' | 'public' {
  return hasScope(viewer, 'preview') ? 'preview' : 'public';
}
