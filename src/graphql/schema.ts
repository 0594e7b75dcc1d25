import type { Resolvers } from '../generated/resolvers-types.ts';
import { modules } from '../modules/index.ts';
import { DateTimeScalar, JSONScalar, URLScalar } from '../shared/scalars.ts';

/** Every module's SDL (`src/modules/<module>/<module>.graphql`), in the modules' order: the source of truth for the API. */
export function readTypeDefs(): string[] {
  return modules.flatMap((module) => (module.typeDefs === undefined ? [] : [module.typeDefs]));
}

/** Every module's resolvers merged per type (no module may define the same field twice). */
export function mergeResolvers(): Resolvers {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const { resolvers = {} } of modules) {
    for (const [typeName, fields] of Object.entries(resolvers)) {
      const target = (merged[typeName] ??= {});
      for (const [field, resolver] of Object.entries(fields as Record<string, unknown>)) {
        if (field in target) throw new Error(`Resolver ${typeName}.${field} is defined by two modules`);
        target[field] = resolver;
      }
    }
  }
  return { ...(merged as Resolvers), DateTime: DateTimeScalar, URL: URLScalar, JSON: JSONScalar };
}
