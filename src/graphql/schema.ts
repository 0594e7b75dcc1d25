import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Resolvers } from '../generated/resolvers-types.ts';
import { articleResolvers } from '../modules/articles/articles.resolvers.ts';
import { nodeResolvers } from '../modules/node/node.resolvers.ts';
import { peopleResolvers } from '../modules/people/people.resolvers.ts';
import { quoteResolvers } from '../modules/quotes/quotes.resolvers.ts';
import { relatedLinkResolvers } from '../modules/related-links/related-links.resolvers.ts';
import { searchResolvers } from '../modules/search/search.resolvers.ts';
import { taxonomyResolvers } from '../modules/taxonomy/taxonomy.resolvers.ts';
import { embeddingResolvers } from '../modules/embeds/embedding.resolvers.ts';
import { DateTimeScalar, JSONScalar, URLScalar } from '../shared/scalars.ts';

const schemaDir = fileURLToPath(new URL('../../schema/', import.meta.url));

/** The SDL in `schema/*.graphql`, in file-name order: the source of truth for the API. */
export function readTypeDefs(): string[] {
  return readdirSync(schemaDir)
    .filter((name) => name.endsWith('.graphql') && !name.includes('snapshot'))
    .sort()
    .map((name) => readFileSync(schemaDir + name, 'utf8'));
}

const moduleResolvers: Resolvers[] = [
  nodeResolvers,
  articleResolvers,
  peopleResolvers,
  quoteResolvers,
  relatedLinkResolvers,
  taxonomyResolvers,
  embeddingResolvers,
  searchResolvers,
];

/** Every module's resolvers merged per type (no module may define the same field twice). */
export function mergeResolvers(): Resolvers {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const resolvers of moduleResolvers) {
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
