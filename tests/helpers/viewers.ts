import type { ViewerResolver } from '../../src/protection/viewer-seam.ts';
import { anonymousViewer, type Scope, type Viewer } from '../../src/shared/viewer.ts';

/** A partner viewer as a key would resolve to, with these rights and limits. */
export function testPartner(
  id: number,
  options: {
    scopes?: readonly Scope[];
    costBudget?: number;
    rateLimitPerMinute?: number;
    name?: string;
  } = {},
): Viewer {
  return {
    ...anonymousViewer,
    kind: 'partner',
    partnerId: id,
    partnerName: options.name ?? `partner ${id}`,
    scopes: new Set(options.scopes ?? []),
    costBudget: options.costBudget ?? null,
    rateLimitPerMinute: options.rateLimitPerMinute ?? null,
  };
}

/** A partner with the preview right: sees drafts and embargoed articles. */
export const previewViewer: Viewer = testPartner(1, { scopes: ['preview'], name: 'preview partner' });

/** Resolves a request to the viewer its `header` names in `viewers`; anonymous otherwise. */
export function viewersByHeader(viewers: Record<string, Viewer>, header = 'x-test-viewer'): ViewerResolver {
  return async (req) => viewers[req.get(header) ?? ''] ?? anonymousViewer;
}

/** Resolves `x-test-partner: <id>` to the partner with that id, anything else to anonymous. */
export function partnersById(partners: readonly Viewer[]): ViewerResolver {
  return viewersByHeader(Object.fromEntries(partners.map((p) => [String(p.partnerId), p])), 'x-test-partner');
}
