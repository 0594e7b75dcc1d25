import type { ConnectionParent, EdgeParent } from '../../shared/connection.ts';
import type { ArticleParent, OrganizationParent, PersonParent, TagParent } from '../parents.ts';

/** Highlights, already HTML: escaped text with `<mark>` tags. */
export interface ArticleHighlightsParent {
  readonly headline: string;
  readonly standfirst: string | null;
  readonly body: string | null;
}

export interface SearchEdgeParent extends EdgeParent<ArticleParent> {
  readonly rank: number;
  readonly highlights: ArticleHighlightsParent;
}

export interface SearchConnectionParent extends Omit<
  ConnectionParent<ArticleParent>,
  'edges' | 'totalCount'
> {
  readonly edges: readonly SearchEdgeParent[];
  /** Counted once, when `totalCount` or `totalCountIsEstimate` is asked for. */
  readonly total: () => Promise<{ readonly count: number; readonly estimate: boolean }>;
}

export interface RelatedArticleParent {
  readonly article: ArticleParent;
  readonly score: number;
  readonly reasons: readonly string[];
}

export interface QuotedWithParent {
  readonly speaker: PersonParent | OrganizationParent;
  readonly articleCount: number;
  readonly quoteCount: number;
}

export interface PersonTopicParent {
  readonly tag: TagParent;
  readonly articleCount: number;
}
