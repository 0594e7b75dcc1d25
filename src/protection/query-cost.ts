import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

export interface CostOptions {
  /** Page size assumed for a connection without `first`/`last` (nor a schema default). */
  readonly defaultPageSize: number;
  /** Items assumed for a list without paging arguments: bounded by content, not by the caller. */
  readonly listSize: number;
}

/**
 * Static cost of an operation, before anything runs: every field costs 1, and a field returning
 * many things multiplies the cost of what is selected under it by how many it may return — its
 * `first`/`last` (or their default), the length of `ids`, or, for a list without paging arguments,
 * a small content-bounded estimate. On a connection
 * the page size multiplies only its `edges` and `nodes`; `totalCount` and `pageInfo` are one each.
 * Union and interface branches are summed (an upper bound). Introspection is bounded elsewhere.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  options: CostOptions,
): number {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  const variableValues = coerced.coerced ?? {};
  const fragments = new Map(
    document.definitions.flatMap((d) =>
      d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [],
    ),
  );
  const memo = new Map<string, number>();
  const visiting = new Set<string>();

  const multiplier = (
    node: FieldNode,
    field: GraphQLField<unknown, unknown>,
    parent: GraphQLNamedType,
    page: number,
  ): number => {
    let args: Record<string, unknown> = {};
    try {
      args = getArgumentValues(field, node, variableValues);
    } catch {
      // Bad arguments fail validation or execution with their own error; cost them by default.
    }
    for (const name of ['first', 'last']) {
      const value = args[name];
      if (typeof value === 'number') return Math.max(0, value);
    }
    if (Array.isArray(args['ids'])) return args['ids'].length;
    const listed = isListType(getNullableType(field.type));
    if (listed) return isConnection(parent) ? page : options.listSize;
    if (field.args.some((arg) => arg.name === 'first' || arg.name === 'last')) return options.defaultPageSize;
    return 1;
  };

  const costOf = (selectionSet: SelectionSetNode, type: GraphQLNamedType, page = 1): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__schema' || name === '__type') continue;
        total += 1;
        if (!selection.selectionSet || !(isObjectType(type) || isInterfaceType(type))) continue;
        const field = type.getFields()[name];
        if (!field) continue;
        const count = multiplier(selection, field, type, page);
        const named = getNamedType(field.type);
        total += isConnection(named)
          ? costOf(selection.selectionSet, named, count)
          : count * costOf(selection.selectionSet, named);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        total += costOf(selection.selectionSet, condition ?? type, page);
      } else {
        const name = selection.name.value;
        const memoKey = `${name}:${page}`;
        const known = memo.get(memoKey);
        if (known !== undefined) {
          total += known;
          continue;
        }
        const fragment = fragments.get(name);
        if (!fragment || visiting.has(name)) continue;
        visiting.add(name);
        const value = costOf(
          fragment.selectionSet,
          schema.getType(fragment.typeCondition.name.value) ?? type,
          page,
        );
        visiting.delete(name);
        memo.set(memoKey, value);
        total += value;
      }
      if (total > Number.MAX_SAFE_INTEGER) return Number.MAX_SAFE_INTEGER;
    }
    return Math.min(total, Number.MAX_SAFE_INTEGER);
  };

  const root = schema.getRootType(operation.operation);
  return root ? costOf(operation.selectionSet, root) : 0;
}

function isConnection(type: GraphQLNamedType): boolean {
  return type.name.endsWith('Connection');
}
