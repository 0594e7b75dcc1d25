/**
 * Rows handed to GraphQL carry their type name, so abstract types (`Node`, `Speaker`, `Block`)
 * resolve with graphql-js's default rule (`__typename` on the value) and no guessing from shape.
 */
export type Typed<Row, Name extends string> = Row & { readonly __typename: Name };

export function typed<const Name extends string, Row extends object>(name: Name, row: Row): Typed<Row, Name> {
  return Object.assign(row, { __typename: name }) as Typed<Row, Name>;
}
