import { fileURLToPath } from 'node:url';
import express, { type RequestHandler } from 'express';

/** The demo's images (drawn by `npm run demo:images`), which the demo documents name as /media/demo/…. */
export const demoMediaDir = fileURLToPath(new URL('../../content/demo/media/', import.meta.url));

/**
 * Serves `/media/demo/*` as static files. An SVG opened on its own is a document on our origin, so it
 * gets a CSP that lets nothing run or load; anything else under the path falls through to the 404.
 */
export function createDemoMedia(): RequestHandler {
  return express.static(demoMediaDir, {
    index: false,
    redirect: false,
    dotfiles: 'ignore',
    fallthrough: true,
    maxAge: '1d',
    setHeaders: (res) => {
      res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    },
  });
}
