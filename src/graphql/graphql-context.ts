import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Viewer } from '../shared/viewer.ts';
import type { GraphQLContext } from '../modules/context.ts';
import { createLoaders, type LoaderHooks } from '../modules/loaders.ts';

export type { GraphQLContext };

/** A request's resolver context: its viewer and a fresh set of loaders (DataLoader's rule: one per request). */
export function createGraphQLContext(options: {
  readonly db: Kysely<Database>;
  readonly viewer: Viewer;
  readonly publicUrl: string;
  readonly providerName?: string;
  readonly loaderHooks?: LoaderHooks;
}): GraphQLContext {
  return {
    viewer: options.viewer,
    loaders: createLoaders(options.db, options.viewer, options.loaderHooks),
    publicUrl: options.publicUrl,
    providerName: options.providerName ?? 'Byline',
  };
}
