import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Viewer } from '../shared/viewer.ts';
import { createLoaders, type LoaderHooks, type Loaders } from './loaders.ts';

/** What every resolver receives. Built once per request. */
export interface GraphQLContext {
  readonly viewer: Viewer;
  readonly loaders: Loaders;
  /** Base of canonical URLs for articles without their own. */
  readonly publicUrl: string;
  /** Publication name for embeds and JSON-LD (BYLINE_PROVIDER_NAME). */
  readonly providerName: string;
  readonly requestId: string;
}

export function createGraphQLContext(options: {
  readonly db: Kysely<Database>;
  readonly viewer: Viewer;
  readonly publicUrl: string;
  readonly providerName?: string;
  readonly requestId: string;
  readonly loaderHooks?: LoaderHooks;
}): GraphQLContext {
  return {
    viewer: options.viewer,
    loaders: createLoaders(options.db, options.viewer, options.loaderHooks),
    publicUrl: options.publicUrl,
    providerName: options.providerName ?? 'Byline',
    requestId: options.requestId,
  };
}
