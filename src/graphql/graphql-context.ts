import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Viewer } from '../shared/viewer.ts';
import type { GraphQLContext } from '../modules/context.ts';
import { createLoaders, type LoaderHooks } from '../modules/loaders.ts';
import type { Writes } from '../modules/context.ts';
import type { PreviewSecret } from '../modules/lifecycle/index.ts';
import { findArticleForEditors } from '../modules/articles/index.ts';
import { createContentWriter } from '../ingest/content-writer.ts';
import { WEBHOOKS_NEED_POSTGRES, type WebhookSettings } from '../modules/webhooks/index.ts';

/** What mutations write through: the database itself, never the request's read-only snapshot. */
export function createWrites(
  db: Kysely<Database>,
  settled: (id: string) => Promise<void> = async () => undefined,
  previewSecret?: PreviewSecret,
  webhooks: WebhookSettings = { available: false, reason: WEBHOOKS_NEED_POSTGRES },
): Writes {
  return {
    ...(previewSecret && { previewSecret }),
    webhooks,
    db,
    content: createContentWriter(db),
    articleById: (id) => findArticleForEditors(db, id),
    settled,
  };
}

export type { GraphQLContext };

/** A request's resolver context: its viewer and a fresh set of loaders (DataLoader's rule: one per request). */
export function createGraphQLContext(options: {
  readonly db: Kysely<Database>;
  readonly viewer: Viewer;
  readonly publicUrl: string;
  readonly providerName?: string;
  readonly loaderHooks?: LoaderHooks;
  readonly writes?: Writes;
}): GraphQLContext {
  return {
    viewer: options.viewer,
    loaders: createLoaders(options.db, options.viewer, options.loaderHooks),
    publicUrl: options.publicUrl,
    providerName: options.providerName ?? 'Byline',
    ...(options.writes && { writes: options.writes }),
  };
}
