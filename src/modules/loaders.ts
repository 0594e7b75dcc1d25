import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { anonymousViewer, type Viewer } from '../shared/viewer.ts';
import type { ArticleChildren } from './article-children.ts';
import type { LoaderHooks, LoaderScope } from './create-loader.ts';
import { modules } from './index.ts';
import type { Loaders } from './loader-types.ts';

export type { LoaderHooks, Loaders };

type ModuleName = string;
const articleChildren: ArticleChildren = Object.assign(
  {},
  ...modules.map((module) => module.articleChildren),
);
const factories = new Map<ModuleName, (scope: LoaderScope) => object>(
  modules.flatMap((module) =>
    module.loaders ? [[module.name, module.loaders as (scope: LoaderScope) => object]] : [],
  ),
);

/**
 * A request's loaders. Building all ~45 DataLoaders for every request was a tenth of a trivial
 * request's CPU (bench:profile), so each module's loaders are built on first use, through getters
 * defined once on the prototype. A factory only builds DataLoaders; it reads other modules' loaders
 * (to prime them) inside its batch functions.
 */
class RequestLoaders {
  readonly #built = new Map<ModuleName, Record<string, unknown>>();
  readonly #scope: LoaderScope;
  constructor(db: Kysely<Database>, viewer: Viewer, hooks: LoaderHooks) {
    this.#scope = { db, viewer, hooks, loaders: this as unknown as Loaders, articleChildren };
  }
  module(name: ModuleName): Record<string, unknown> {
    let built = this.#built.get(name);
    if (!built) {
      built = factories.get(name)!(this.#scope) as Record<string, unknown>;
      this.#built.set(name, built);
    }
    return built;
  }
}

// Which module holds each loader: read once from loaders built with no database (factories only build).
const template = new RequestLoaders(undefined as never, anonymousViewer, {});
for (const name of factories.keys()) {
  for (const loader of Object.keys(template.module(name))) {
    Object.defineProperty(RequestLoaders.prototype, loader, {
      get(this: RequestLoaders) {
        return this.module(name)[loader];
      },
      enumerable: true,
    });
  }
}

/**
 * Every DataLoader, new for each request: their caches hold what this viewer may see, and must not
 * outlive the request (https://github.com/graphql/dataloader#creating-a-new-dataloader-per-request).
 * Each reports its batches to `hooks` and records the cache tags of what it reads (`createLoader`).
 */
export function createLoaders(db: Kysely<Database>, viewer: Viewer, hooks: LoaderHooks = {}): Loaders {
  return new RequestLoaders(db, viewer, hooks) as unknown as Loaders;
}
