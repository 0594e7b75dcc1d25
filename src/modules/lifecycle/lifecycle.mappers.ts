import type { ArticleParent } from '../parents.ts';
import type { WriteProblem } from '../content-writer.ts';

/** What `ArticleChange` resolves from. */
export interface ArticleChangeParent {
  readonly outcome: 'CREATED' | 'UPDATED' | 'UNCHANGED';
  readonly revision: number;
  readonly article: ArticleParent;
}

/** What `ArticleBatchResult` resolves from. */
export interface ArticleBatchResultParent {
  readonly index: number;
  readonly outcome: 'CREATED' | 'UPDATED' | 'UNCHANGED' | null;
  readonly revision: number | null;
  readonly article: ArticleParent | null;
  readonly problems: readonly WriteProblem[];
}

/** What `PreviewLink` resolves from. */
export interface PreviewLinkParent {
  readonly token: string;
  readonly expiresAt: Date;
  readonly url: string;
  readonly embedUrl: string;
  readonly article: ArticleParent;
}
