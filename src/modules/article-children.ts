import type { Kysely, RawBuilder } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Viewer } from '../shared/viewer.ts';
import type { Loaders } from './loader-types.ts';

/**
 * Relations of an article that another module owns (its quotes, its related links) and that an
 * article's own statement can bring along as JSON when the operation will read them: the owning
 * module gives the SQL and fills its own loaders, the articles module decides when (a look-ahead
 * over the selection) and runs one statement. Parents bring the rows their children need as JSON
 * and prime their loaders; this is that pattern across modules, without an import cycle.
 */
export type ArticleChildName = 'quotes' | 'relatedLinks';

export interface ArticleChild {
  /**
   * A JSON value computed from the outer `articles` row (of an article already visible to the
   * viewer): the article's children, and with `nested` what they point at (speakers, targets).
   */
  json(db: Kysely<Database>, viewer: Viewer, nested: boolean): RawBuilder<unknown>;
  /** Primes the owning module's loaders with what `json` brought for one article. */
  prime(loaders: Loaders, articleId: number, json: unknown, nested: boolean): void;
}

export type ArticleChildren = { readonly [N in ArticleChildName]?: ArticleChild };
