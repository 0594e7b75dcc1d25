import type { ChangeEventRow } from './changes.repository.ts';

/** What `ChangeEvent` resolves from: a row of the log. */
export type ChangeEventParent = ChangeEventRow;

/** What `ChangeEventEdge` resolves from. */
export interface ChangeEventEdgeParent {
  readonly cursor: string;
  readonly node: ChangeEventParent;
}

/** What `ChangeEventConnection` resolves from. */
export interface ChangeEventConnectionParent {
  readonly edges: readonly ChangeEventEdgeParent[];
  readonly nodes: readonly ChangeEventParent[];
  readonly pageInfo: {
    readonly hasNextPage: boolean;
    readonly hasPreviousPage: boolean;
    readonly startCursor: string | null;
    readonly endCursor: string;
  };
}
