import type DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { createArticleLoaders } from './articles/articles.loaders.ts';
import { createImageLoaders } from './images/images.loaders.ts';
import { createPeopleLoaders } from './people/people.loaders.ts';
import { createQuoteLoaders } from './quotes/quotes.loaders.ts';
import { createSearchLoaders } from './search/search.loaders.ts';
import { createRelatedLinkLoaders } from './related-links/related-links.loaders.ts';
import { createTaxonomyLoaders } from './taxonomy/taxonomy.loaders.ts';
import { anonymousViewer, type Viewer } from '../shared/viewer.ts';
import { withCacheTags } from './loader-cache-tags.ts';
import type { Loaders } from './loader-types.ts';

export type { Loaders };

/** What a module's loaders are built from: the request's database and viewer, and every other loader. */
interface Scope {
  readonly db: Kysely<Database>;
  readonly viewer: Viewer;
  /** The request's loaders, for priming: a parent's statement fills the loaders of the rows it brought. */
  readonly loaders: Loaders;
}

// One factory per module. A factory only builds DataLoaders; it reads other modules' loaders (to prime
// them) inside its batch functions, so each module is built the first time one of its loaders is used.
const MODULES = {
  articles: ({ db, viewer, loaders }: Scope) => createArticleLoaders(db, viewer, loaders),
  images: ({ db }: Scope) => createImageLoaders(db),
  people: ({ db, viewer }: Scope) => createPeopleLoaders(db, viewer),
  quotes: ({ db, viewer, loaders }: Scope) => createQuoteLoaders(db, viewer, loaders),
  relatedLinks: ({ db, viewer, loaders }: Scope) => createRelatedLinkLoaders(db, viewer, loaders),
  taxonomy: ({ db }: Scope) => createTaxonomyLoaders(db),
  search: ({ db, viewer }: Scope) => createSearchLoaders(db, viewer),
};
type ModuleName = keyof typeof MODULES;

export interface LoaderHooks {
  /** Called with each batch's loader name and size (metrics). */
  readonly onBatch?: (loader: string, size: number) => void;
}

type BatchFn = (keys: readonly unknown[]) => PromiseLike<ArrayLike<unknown>>;

/**
 * Reports each batch's size by wrapping the loader's batch function. DataLoader keeps it in the
 * (undocumented) `_batchLoadFn` field; the metrics test fails if that ever changes.
 */
function observeBatches(loaders: Record<string, unknown>, onBatch: (loader: string, size: number) => void) {
  for (const [name, loader] of Object.entries(loaders)) {
    const target = loader as DataLoader<unknown, unknown> & { _batchLoadFn?: BatchFn };
    const batch = target._batchLoadFn;
    if (typeof batch !== 'function') continue;
    target._batchLoadFn = (keys) => {
      onBatch(name, keys.length);
      return batch.call(target, keys);
    };
  }
}

/**
 * A request's loaders. Building all ~45 DataLoaders for every request was a tenth of a trivial
 * request's CPU (bench:profile), so each module's loaders are built on first use, through getters
 * defined once on the prototype.
 */
class RequestLoaders {
  readonly #built: Partial<Record<ModuleName, Record<string, unknown>>> = {};
  readonly #scope: Scope;
  readonly #hooks: LoaderHooks;
  constructor(db: Kysely<Database>, viewer: Viewer, hooks: LoaderHooks) {
    this.#scope = { db, viewer, loaders: this as unknown as Loaders };
    this.#hooks = hooks;
  }
  module(name: ModuleName): Record<string, unknown> {
    let built = this.#built[name];
    if (!built) {
      built = withCacheTags(MODULES[name](this.#scope) as Record<string, unknown>);
      if (this.#hooks.onBatch) observeBatches(built, this.#hooks.onBatch);
      this.#built[name] = built;
    }
    return built;
  }
}

// Which module holds each loader: read once from loaders built with no database (factories only build).
const template = new RequestLoaders(undefined as never, anonymousViewer, {});
for (const name of Object.keys(MODULES) as ModuleName[]) {
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
 * Each records the cache tags of what it reads for the response cache (`loader-cache-tags.ts`).
 */
export function createLoaders(db: Kysely<Database>, viewer: Viewer, hooks: LoaderHooks = {}): Loaders {
  return new RequestLoaders(db, viewer, hooks) as unknown as Loaders;
}
