import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import {
  getVariableValues,
  GraphQLError,
  Kind,
  visit,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type TypeNode,
} from 'graphql';
import type { Config } from '../config.ts';
import { hasScope, type Viewer } from '../shared/viewer.ts';
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

/**
 * Whether no variable can change the operation's cost: cost reads `first`/`last` (Int) and the length
 * of `ids` (a list), so an operation whose variables are neither costs the same for any values.
 */
function costIgnoresVariables(operation: OperationDefinitionNode): boolean {
  const plain = (type: TypeNode): boolean =>
    type.kind === Kind.NON_NULL_TYPE
      ? plain(type.type)
      : type.kind === Kind.NAMED_TYPE && type.name.value !== 'Int';
  return (operation.variableDefinitions ?? []).every((definition) => plain(definition.type));
}

/** What an operation's document alone decides, worked out on its first request. */
interface OperationAnalysis {
  readonly introspection: boolean;
  readonly nul: string | undefined;
  /** Absent when the variables can change it. */
  readonly cost: number | undefined;
}

export interface ProtectionOptions {
  readonly config: Config;
  /** Introspection for everyone (development, or BYLINE_INTROSPECTION=true). */
  readonly introspectionForAll: boolean;
  /** hash → document: in safelist mode, the only operations anonymous callers may run. */
  readonly safelist: ReadonlyMap<string, string> | undefined;
}

/** What `checkOperation` needs: the validated document, the operation chosen, who asks, and the variables. */
export interface OperationToCheck {
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  readonly viewer: Viewer;
  readonly variables: Record<string, unknown> | undefined;
  /** sha256 of the document's text, as the safelist keys it. */
  readonly queryHash: string;
}

/**
 * Checks that depend on the caller, run after validation and before any resolver: the safelist,
 * introspection rights, NUL bytes in strings (PostgreSQL text cannot hold them) and the cost budget.
 * Static limits (depth, aliases, directives, tokens) are validation rules and parse options. Throws
 * the GraphQL error to answer with; returns the cost report. HTTP (the plugin below) and WebSocket
 * subscriptions (src/http/subscriptions.ts) both run it.
 */
export function createOperationCheck({
  config,
  introspectionForAll,
  safelist,
}: ProtectionOptions): (input: OperationToCheck, onCost?: (cost: CostReport) => void) => CostReport {
  // Keyed by the operation's node: Apollo keeps one parsed, validated document per query text, so the
  // walks below run once per document and operation, and per request only the variables are checked.
  const analyses = new WeakMap<OperationDefinitionNode, OperationAnalysis>();
  const costOptions = { defaultPageSize: config.costDefaultPageSize, listSize: config.costListSize };
  return ({ schema, document, operation, viewer, variables: requestVariables, queryHash }, onCost) => {
    let analysis = analyses.get(operation);
    if (!analysis) {
      const made: OperationAnalysis = {
        introspection: usesIntrospection(document, operation),
        nul: nulInDocument(document),
        cost: costIgnoresVariables(operation)
          ? operationCost(schema, document, operation, requestVariables, costOptions)
          : undefined,
      };
      analysis = made;
      // Kept only when this request's variables are valid: invalid ones would cost arguments by default.
      const variables = getVariableValues(
        schema,
        operation.variableDefinitions ?? [],
        requestVariables ?? {},
      );
      if (!variables.errors) analyses.set(operation, made);
    }
    if (!schema.getRootType(operation.operation)) {
      throw new GraphQLError(
        `Byline has no ${operation.operation} type, so no ${operation.operation} operation runs.`,
        { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
      );
    }
    if (safelist && viewer.kind === 'anonymous' && !safelist.has(queryHash)) {
      throw limitError(
        'OPERATION_NOT_SAFELISTED',
        `This operation (sha256 ${queryHash.slice(0, 12)}…) is not in the operations safelist; anonymous callers may run only registered operations (BYLINE_OPERATIONS=safelist).`,
      );
    }
    if (!introspectionForAll && !hasScope(viewer, 'developer') && analysis.introspection) {
      throw limitError(
        'INTROSPECTION_DISABLED',
        'Introspection (__schema, __type) is disabled; it needs BYLINE_INTROSPECTION=true or a key with the developer scope.',
      );
    }
    const nul = nulInVariables(requestVariables) ?? analysis.nul;
    if (nul !== undefined) {
      throw new GraphQLError(
        `String arguments must not contain NUL characters (U+0000): found one in ${nul}.`,
        { extensions: { code: 'BAD_USER_INPUT' } },
      );
    }
    const limit = viewer.costBudget ?? config.costBudget;
    const requested =
      analysis.cost ?? operationCost(schema, document, operation, requestVariables, costOptions);
    onCost?.({ requested, limit });
    if (requested > limit) {
      throw limitError(
        'QUERY_TOO_COMPLEX',
        `Query cost ${requested} exceeds the limit of ${limit}; ask for fewer items (first/last) or fewer nested lists.`,
      );
    }
    return { requested, limit };
  };
}

/** The caller's checks (`createOperationCheck`) on every HTTP request, and the cost in `extensions.cost`. */
export function protectionPlugin(options: ProtectionOptions): ApolloServerPlugin<GraphQLContext> {
  const check = createOperationCheck(options);
  return {
    async requestDidStart() {
      let cost: CostReport | undefined;
      return {
        async didResolveOperation({ document, operation, contextValue, request, queryHash, schema }) {
          if (!operation) return;
          if (operation.operation === 'subscription') {
            throw rejected(
              new GraphQLError(
                'Subscriptions run over WebSocket (the graphql-ws protocol, subprotocol "graphql-transport-ws") at /graphql, not over HTTP; see docs/changes.md.',
                { extensions: { code: 'BAD_REQUEST' } },
              ),
            );
          }
          try {
            // The cost is reported even when it is over the limit, so the client sees it.
            const viewer = contextValue.viewer;
            check(
              { schema, document, operation, viewer, variables: request.variables, queryHash },
              (report) => {
                cost = report;
              },
            );
          } catch (error) {
            throw error instanceof GraphQLError ? rejected(error) : error;
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
