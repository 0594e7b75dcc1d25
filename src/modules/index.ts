import { articlesModule } from './articles/index.ts';
import { changesModule } from './changes/index.ts';
import { embedsModule } from './embeds/index.ts';
import { imagesModule } from './images/index.ts';
import { lifecycleModule } from './lifecycle/index.ts';
import { liveModule } from './live/index.ts';
import type { Loaders } from './loader-types.ts';
import { nodeModule } from './node/index.ts';
import { partnersModule } from './partners/index.ts';
import { peopleModule } from './people/index.ts';
import { quotesModule } from './quotes/index.ts';
import { relatedLinksModule } from './related-links/index.ts';
import { searchModule } from './search/index.ts';
import { taxonomyModule } from './taxonomy/index.ts';
import { webhooksModule } from './webhooks/index.ts';

/**
 * Every module of the schema, once: the schema's SDL (in this order) and resolvers
 * (`src/graphql/schema.ts`) and a request's loaders (`./loaders.ts`) are built from this list.
 */
export const modules = [
  articlesModule,
  changesModule,
  nodeModule,
  embedsModule,
  imagesModule,
  lifecycleModule,
  liveModule,
  partnersModule,
  peopleModule,
  quotesModule,
  relatedLinksModule,
  searchModule,
  taxonomyModule,
  webhooksModule,
] as const;

type Listed = (typeof modules)[number];
type LoadersOf<M> = M extends { readonly loaders?: (scope: never) => infer L } ? L : never;
type Intersection<U> = (U extends unknown ? (value: U) => void : never) extends (value: infer I) => void
  ? I
  : never;

// Each module adds its loaders to `Loaders` beside them; this fails to compile unless the listed
// modules build exactly those, so a module left out of the list (or its loaders) cannot go unnoticed.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const listedModulesBuildEveryLoader: Same<Intersection<LoadersOf<Listed>>, Loaders> = true;
