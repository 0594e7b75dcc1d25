/**
 * Who is asking. Built once per request from its credentials (a partner key, or none: anonymous)
 * and carried in the GraphQL context; every rule about what a caller may see reads it.
 */
export type Scope = 'preview' | 'body' | 'developer' | 'editor' | 'admin';

export interface Viewer {
  readonly kind: 'anonymous' | 'partner';
  /** Partner id when `kind` is `partner`. */
  readonly partnerId: number | null;
  readonly partnerName: string | null;
  readonly scopes: ReadonlySet<Scope>;
  /** Allowed origins for CORS and `frame-ancestors` (partners); empty for anonymous callers. */
  readonly origins: readonly string[];
  /** Requests per minute this caller may make; null means the anonymous default applies. */
  readonly rateLimitPerMinute: number | null;
  /** Query cost budget for this caller; null means the anonymous default applies. */
  readonly costBudget: number | null;
  /**
   * The one article a signed preview link opens for this request, in addition to what the viewer
   * already sees (read-only); such answers are never cached. Absent without a preview link.
   */
  readonly previewArticleId?: number | undefined;
}

export const anonymousViewer: Viewer = Object.freeze({
  kind: 'anonymous',
  partnerId: null,
  partnerName: null,
  scopes: new Set<Scope>(),
  origins: [],
  rateLimitPerMinute: null,
  costBudget: null,
});

export function hasScope(viewer: Viewer, scope: Scope): boolean {
  return viewer.scopes.has(scope);
}

/** A viewer with every right, for trusted in-process callers (ingest, CLI, tests). */
export const editorViewer: Viewer = Object.freeze({
  kind: 'partner',
  partnerId: null,
  partnerName: 'editor',
  scopes: new Set<Scope>(['preview', 'body', 'developer', 'editor', 'admin']),
  origins: [],
  rateLimitPerMinute: null,
  costBudget: null,
});

/** Whether the request carries a preview link: its answers are private and never cached. */
export function isPreviewing(viewer: Viewer): boolean {
  return viewer.previewArticleId !== undefined;
}
