import type { ArticleChangeState, ArticleChangeType } from '../../db/database.ts';

/** One event of the change log as stored. */
export interface ChangeEventRow {
  readonly position: number;
  readonly type: ArticleChangeType;
  readonly occurred_at: Date;
  readonly article_id: number;
  readonly slug: string;
  readonly previous_slug: string | null;
  readonly revision: number;
  /** The article's section and tags as of the event: before and after it, for a change that moved it. */
  readonly section_ids: number[];
  readonly tag_ids: number[];
  readonly published_at: Date | null;
  readonly state_before: ArticleChangeState;
  readonly state_after: ArticleChangeState;
}

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
