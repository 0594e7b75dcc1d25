import type express from 'express';
import type { RequestHandler } from 'express';
import { anonymousViewer, type Viewer } from '../shared/viewer.ts';

/**
 * Turns a request's credentials into a `Viewer`. Partner-key authentication plugs in here; until it
 * does (and in tests that need a preview or developer caller) every request is anonymous.
 */
export type ViewerResolver = (req: express.Request) => Promise<Viewer>;

export const resolveAnonymous: ViewerResolver = () => Promise.resolve(anonymousViewer);

/** Puts the caller's `Viewer` on `res.locals.viewer`, where rate limits, cost and GraphQL read it. */
export function viewerMiddleware(resolve: ViewerResolver): RequestHandler {
  return (req, res, next) => {
    resolve(req).then((viewer) => {
      res.locals['viewer'] = viewer;
      next();
    }, next);
  };
}
