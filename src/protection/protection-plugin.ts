import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, visit, type DocumentNode } from 'graphql';
import type { Config } from '../config.ts';
import { hasScope } from '../shared/viewer.ts';
import type { GraphQLContext } from '../modules/context.ts';
import { operationCost } from './query-cost.ts';
import { limitError, usesIntrospection } from './query-limits.ts';

/** The cost every response reports in `extensions.cost`, so clients see it before they hit it. */
export interface CostReport {
  readonly requested: number;
  readonly limit: number;
}

function rejected(error: GraphQLError): GraphQLError {
  const extensions = { ...error.extensions, http: { status: 400, headers: new HeaderMap() } };
  return new GraphQLError(error.message, { ...(error.nodes ? { nodes: error.nodes } : {}), extensions });
}

/** Where the first NUL sits in the variables, as `$name.path[0]`, or undefined. */
function findNul(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (depth > 20 || value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = findNul(item, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function nulInVariables(variables: Record<string, unknown> | undefined): string | undefined {
  for (const [name, value] of Object.entries(variables ?? {})) {
    const found = findNul(value, `$${name}`);
    if (found) return `variable ${found}`;
  }
  return undefined;
}

/** Where the first NUL sits in the document's string literals, as `line:column`, or undefined. */
function nulInDocument(document: DocumentNode): string | undefined {
  let found: string | undefined;
  visit(document, {
    [Kind.STRING]: (node) => {
      if (found === undefined && node.value.includes('\u0000') && node.loc) {
        found = `the string literal at line ${node.loc.startToken.line}, column ${node.loc.startToken.column}`;
      }
    },
  });
  return found;
}

export interface ProtectionOptions {
  readonly config: Config;
  /** Introspection for everyone (development, or BYLINE_INTROSPECTION=true). */
  readonly introspectionForAll: boolean;
  /** hash → document: in safelist mode, the only operations anonymous callers may run. */
  readonly safelist: ReadonlyMap<string, string> | undefined;
}

/**
 * Checks that depend on the caller, run after validation and before any resolver: the safelist,
 * introspection rights, NUL bytes in strings (PostgreSQL text cannot hold them) and the cost budget.
 * Static limits (depth, aliases, directives, tokens) are validation rules and parse options.
 */
export function protectionPlugin({
  config,
  introspectionForAll,
  safelist,
}: ProtectionOptions): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      let cost: CostReport | undefined;
      return {
        async didResolveOperation({ document, operation, contextValue, request, queryHash, schema }) {
          if (!operation) return;
          const viewer = contextValue.viewer;
          if (!schema.getRootType(operation.operation)) {
            throw rejected(
              new GraphQLError(
                `Byline is read-only: it has no ${operation.operation} type, so only query operations run.`,
                { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
              ),
            );
          }
          if (safelist && viewer.kind === 'anonymous' && !safelist.has(queryHash)) {
            throw rejected(
              limitError(
                'OPERATION_NOT_SAFELISTED',
                `This operation (sha256 ${queryHash.slice(0, 12)}…) is not in the operations safelist; anonymous callers may run only registered operations (BYLINE_OPERATIONS=safelist).`,
              ),
            );
          }
          if (
            !introspectionForAll &&
            !hasScope(viewer, 'developer') &&
            usesIntrospection(document, operation)
          ) {
            throw rejected(
              limitError(
                'INTROSPECTION_DISABLED',
                'Introspection (__schema, __type) is disabled; it needs BYLINE_INTROSPECTION=true or a key with the developer scope.',
              ),
            );
          }
          const nul = nulInVariables(request.variables) ?? nulInDocument(document);
          if (nul !== undefined) {
            throw rejected(
              new GraphQLError(
                `String arguments must not contain NUL characters (U+0000): found one in ${nul}.`,
                { extensions: { code: 'BAD_USER_INPUT' } },
              ),
            );
          }
          const limit = viewer.costBudget ?? config.costBudget;
          const requested = operationCost(schema, document, operation, request.variables, {
            defaultPageSize: config.costDefaultPageSize,
            listSize: config.costListSize,
          });
          cost = { requested, limit };
          if (requested > limit) {
            throw rejected(
              limitError(
                'QUERY_TOO_COMPLEX',
                `Query cost ${requested} exceeds the limit of ${limit}; ask for fewer items (first/last) or fewer nested lists.`,
              ),
            );
          }
        },
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          if (cost) result.extensions = { ...result.extensions, cost };
          // A CDN must not cache a database outage as an answer; clients may retry.
          if (result.errors?.some((error) => error.extensions?.['code'] === 'SERVICE_UNAVAILABLE')) {
            response.http.status = 503;
            response.http.headers.set('retry-after', '1');
          }
        },
      };
    },
  };
}
