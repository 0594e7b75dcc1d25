import type { Viewer } from '../shared/viewer.ts';
import type { Loaders } from './loader-types.ts';

/** What every resolver receives, built once per request (src/graphql/graphql-context.ts). */
export interface GraphQLContext {
  readonly viewer: Viewer;
  readonly loaders: Loaders;
  /** Base of canonical URLs for articles without their own. */
  readonly publicUrl: string;
  /** Publication name for embeds and JSON-LD (BYLINE_PROVIDER_NAME). */
  readonly providerName: string;
}
