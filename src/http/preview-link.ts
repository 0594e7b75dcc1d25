import type { Kysely } from 'kysely';
import type { Request, RequestHandler, Response } from 'express';
import type { Database } from '../db/database.ts';
import { findArticlePreviewState } from '../modules/articles/index.ts';
import { verifyPreviewToken, type PreviewSecret } from '../modules/lifecycle/index.ts';
import { escapeHtml } from '../shared/escape-html.ts';
import { requestScopeOf } from '../shared/request-scope.ts';
import { sendHttpError } from '../shared/send-http-error.ts';

/** The header that carries a preview token to /graphql; pages and embed cards take `?preview=`. */
export const PREVIEW_HEADER = 'byline-preview';

/** Private and unindexed: a preview shows what is not public yet. */
function markPrivate(res: Response): void {
  res.setHeader('Cache-Control', 'private, no-store');
  res.setHeader('X-Robots-Tag', 'noindex');
}

function refuse(req: Request, res: Response, reason: string): void {
  markPrivate(res);
  if (req.baseUrl === '/graphql' || req.baseUrl === '/oembed') {
    sendHttpError(res, 401, 'UNAUTHENTICATED', reason);
    return;
  }
  res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors *");
  res.status(401).type('text/html; charset=utf-8');
  res.send(
    `<!doctype html><html lang="en"><meta charset="utf-8"><title>Preview link not valid</title><p>${escapeHtml(reason)}</p></html>`,
  );
}

/** The preview token a request carries: the header on /graphql, `?preview=` elsewhere; null for none. */
function presentedToken(req: Request): string | null {
  if (req.baseUrl === '/graphql') return req.get(PREVIEW_HEADER) ?? null;
  const raw = req.query['preview'];
  if (raw === undefined) return null;
  return typeof raw === 'string' ? raw : '';
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * The preview step, after the key step: a signed preview link adds its one article to what the
 * viewer sees (`viewer.previewArticleId`, applied by the visibility rule). A link that is malformed,
 * altered, expired, revoked (its epoch is behind the article's) or for another article than the page
 * asked for: 401 with the reason, never the public answer in its place.
 */
export function createPreviewLinks(db: Kysely<Database>, secret: PreviewSecret): RequestHandler {
  return async (req, res, next) => {
    const token = presentedToken(req);
    if (token === null) return next();
    try {
      if (!secret.ok) return refuse(req, res, secret.message);
      const verified = verifyPreviewToken(secret.key, token.trim());
      if (!verified.ok) return refuse(req, res, verified.reason);
      const { articleId, epoch } = verified.claims;
      const article = await findArticlePreviewState(db, articleId);
      if (!article) return refuse(req, res, 'Preview token names an article that no longer exists');
      if (article.preview_epoch !== epoch) {
        return refuse(req, res, 'Preview token was revoked: ask for a new preview link');
      }
      const path = `${req.baseUrl}${req.path}`;
      const slug = /^\/(?:embed\/)?articles\/([^/]+)$/.exec(path)?.[1];
      if (req.baseUrl !== '/graphql' && (slug === undefined || safeDecode(slug) !== article.slug)) {
        return refuse(req, res, `Preview token is for another article ("${article.slug}"), not ${path}`);
      }
      const scope = requestScopeOf(res);
      scope.viewer = { ...scope.viewer, previewArticleId: articleId };
      markPrivate(res);
      next();
    } catch (error) {
      next(error);
    }
  };
}
