import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * Whether the operation selects `name` on the value of the field being resolved, directly or through
 * fragments, so a loader can bring related rows along only when they will be read. `@skip`/`@include`
 * are not evaluated: a conditionally selected field counts as selected (fetching more, never less).
 */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  const selects = (set: SelectionSetNode | undefined): boolean =>
    set !== undefined &&
    set.selections.some((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value === name;
      if (selection.kind === Kind.INLINE_FRAGMENT) return selects(selection.selectionSet);
      return selects(info.fragments[selection.name.value]?.selectionSet);
    });
  return info.fieldNodes.some((node) => selects(node.selectionSet));
}

/**
 * The field nodes named `name` in the selection sets of `nodes`, through fragments and inline
 * fragments (whatever their type condition): what a parent's resolver looks ahead at to bring its
 * children's rows in its own statement. `@skip`/`@include` are not evaluated (fetching more, never less).
 */
export function childFields(
  nodes: readonly FieldNode[],
  fragments: GraphQLResolveInfo['fragments'],
  name: string,
): FieldNode[] {
  const found: FieldNode[] = [];
  const visit = (set: SelectionSetNode | undefined, seen: ReadonlySet<string>): void => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === name) found.push(selection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, seen);
      } else if (!seen.has(selection.name.value)) {
        // A fragment spread twice on one path is visited once (validation forbids cycles anyway).
        visit(fragments[selection.name.value]?.selectionSet, new Set([...seen, selection.name.value]));
      }
    }
  };
  for (const node of nodes) visit(node.selectionSet, new Set());
  return found;
}

/** The field nodes of the objects of the connection being resolved: `nodes` and `edges { node }`. */
export function connectionNodes(info: GraphQLResolveInfo): FieldNode[] {
  const field = (from: readonly FieldNode[], name: string) => childFields(from, info.fragments, name);
  return [...field(info.fieldNodes, 'nodes'), ...field(field(info.fieldNodes, 'edges'), 'node')];
}
