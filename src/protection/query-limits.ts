import {
  GraphQLError,
  Kind,
  type ASTNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

/** Error codes of the query limits; `docs/security.md` shows each. */
export const LIMIT_CODES = [
  'QUERY_TOO_DEEP',
  'TOO_MANY_ALIASES',
  'TOO_MANY_DIRECTIVES',
  'TOO_MANY_TOKENS',
  'TOO_MANY_VALIDATION_ERRORS',
  'QUERY_TOO_COMPLEX',
  'INTROSPECTION_DISABLED',
  'OPERATION_NOT_SAFELISTED',
] as const;
export type LimitCode = (typeof LIMIT_CODES)[number];

export function limitError(
  code: LimitCode,
  message: string,
  nodes?: ASTNode | readonly ASTNode[],
): GraphQLError {
  return new GraphQLError(message, { ...(nodes ? { nodes } : {}), extensions: { code } });
}

const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

/**
 * Walks an operation's selections through its fragments, each fragment measured once (memoized), so
 * a document built to explode under naive expansion costs linear time. Cycles measure as zero; the
 * spec's NoFragmentCycles rule reports them.
 */
function fragmentMap(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const map = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) map.set(definition.name.value, definition);
  }
  return map;
}

function measure(
  document: DocumentNode,
  combine: (
    selectionSet: SelectionSetNode,
    child: (set: SelectionSetNode) => number,
    spread: (name: string) => number,
  ) => number,
): (operation: OperationDefinitionNode) => number {
  const fragments = fragmentMap(document);
  const memo = new Map<string, number>();
  const visiting = new Set<string>();
  const spread = (name: string): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    if (!fragment || visiting.has(name)) return 0;
    visiting.add(name);
    const value = walk(fragment.selectionSet);
    visiting.delete(name);
    memo.set(name, value);
    return value;
  };
  const walk = (selectionSet: SelectionSetNode): number => combine(selectionSet, walk, spread);
  return (operation) => walk(operation.selectionSet);
}

/** Deepest chain of fields; introspection subtrees are bounded by graphql-js's own MaxIntrospectionDepthRule. */
export function operationDepth(document: DocumentNode): (operation: OperationDefinitionNode) => number {
  return measure(document, (selectionSet, child, spread) => {
    let deepest = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (INTROSPECTION_ROOTS.has(selection.name.value)) continue;
        deepest = Math.max(deepest, 1 + (selection.selectionSet ? child(selection.selectionSet) : 0));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        deepest = Math.max(deepest, child(selection.selectionSet));
      } else {
        deepest = Math.max(deepest, spread(selection.name.value));
      }
    }
    return deepest;
  });
}

/** Aliased fields, `__typename` included, each fragment counted once per spread. */
export function operationAliases(document: DocumentNode): (operation: OperationDefinitionNode) => number {
  return measure(document, (selectionSet, child, spread) => {
    let count = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.alias) count += 1;
        if (selection.selectionSet) count += child(selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        count += child(selection.selectionSet);
      } else {
        count += spread(selection.name.value);
      }
    }
    return count;
  });
}

/** Directives anywhere in the operation and the fragments it spreads. */
export function operationDirectives(document: DocumentNode): (operation: OperationDefinitionNode) => number {
  const fragments = fragmentMap(document);
  const countIn = measure(document, (selectionSet, child, spread) => {
    let count = 0;
    for (const selection of selectionSet.selections) {
      count += selection.directives?.length ?? 0;
      if (selection.kind === Kind.FIELD) {
        if (selection.selectionSet) count += child(selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        count += child(selection.selectionSet);
      } else {
        count +=
          spread(selection.name.value) + (fragments.get(selection.name.value)?.directives?.length ?? 0);
      }
    }
    return count;
  });
  return (operation) =>
    countIn(operation) +
    (operation.directives?.length ?? 0) +
    (operation.variableDefinitions ?? []).reduce(
      (sum, variable) => sum + (variable.directives?.length ?? 0),
      0,
    );
}

function perOperationRule(
  measureOf: (document: DocumentNode) => (operation: OperationDefinitionNode) => number,
  check: (value: number, operation: OperationDefinitionNode) => GraphQLError | undefined,
): ValidationRule {
  return (context: ValidationContext) => {
    const measured = measureOf(context.getDocument());
    return {
      OperationDefinition(operation) {
        const error = check(measured(operation), operation);
        if (error) context.reportError(error);
        return false;
      },
    };
  };
}

function operationLabel(operation: OperationDefinitionNode): string {
  return operation.name ? `Operation "${operation.name.value}"` : 'The operation';
}

export interface QueryLimits {
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxDirectives: number;
}

/** Static validation rules: they depend on the document and the configuration only, never the caller. */
export function queryLimitRules(limits: QueryLimits): ValidationRule[] {
  return [
    perOperationRule(operationDepth, (depth, operation) =>
      depth > limits.maxDepth
        ? limitError(
            'QUERY_TOO_DEEP',
            `${operationLabel(operation)} is nested ${depth} fields deep; the limit is ${limits.maxDepth} (BYLINE_MAX_DEPTH).`,
            operation,
          )
        : undefined,
    ),
    perOperationRule(operationAliases, (aliases, operation) =>
      aliases > limits.maxAliases
        ? limitError(
            'TOO_MANY_ALIASES',
            `${operationLabel(operation)} uses ${aliases} aliases; the limit is ${limits.maxAliases} (BYLINE_MAX_ALIASES).`,
            operation,
          )
        : undefined,
    ),
    perOperationRule(operationDirectives, (directives, operation) =>
      directives > limits.maxDirectives
        ? limitError(
            'TOO_MANY_DIRECTIVES',
            `${operationLabel(operation)} uses ${directives} directives; the limit is ${limits.maxDirectives} (BYLINE_MAX_DIRECTIVES).`,
            operation,
          )
        : undefined,
    ),
  ];
}

/** Whether the operation (through its fragments) reads `__schema` or `__type`. */
export function usesIntrospection(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  const found = measure(document, (selectionSet, child, spread) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (INTROSPECTION_ROOTS.has(selection.name.value)) return 1;
        if (selection.selectionSet && child(selection.selectionSet) > 0) return 1;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (child(selection.selectionSet) > 0) return 1;
      } else if (spread(selection.name.value) > 0) return 1;
    }
    return 0;
  });
  return found(operation) > 0;
}
