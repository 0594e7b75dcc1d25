import { readFileSync } from 'node:fs';
import type { Resolvers } from '../generated/resolvers-types.ts';
import type { ArticleChildren } from './article-children.ts';
import type { LoaderScope } from './create-loader.ts';

/** What a module gives the schema and the request: listed once in `src/modules/index.ts`. */
export interface ModuleManifest<L extends object = object> {
  readonly name: string;
  /** Its SDL, from the `.graphql` file beside it (codegen reads the same files). */
  readonly typeDefs?: string;
  readonly resolvers?: Resolvers;
  /** Builds its DataLoaders for one request; called on first use of one of them. */
  readonly loaders?: (scope: LoaderScope) => L;
  /** Its relations of an article that an article's statement may bring along (`./article-children.ts`). */
  readonly articleChildren?: ArticleChildren;
}

/** The SDL file `name` beside the module's index (`import.meta.url`). */
export function readTypeDefs(name: string, moduleUrl: string): string {
  return readFileSync(new URL(name, moduleUrl), 'utf8');
}
