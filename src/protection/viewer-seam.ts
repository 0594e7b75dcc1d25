import type express from 'express';
import type { Viewer } from '../shared/viewer.ts';

/**
 * Who a request without a partner key is. The gateway's default is anonymous; tests that need a
 * preview or developer caller pass one. The viewer step (src/http/authenticate.ts) asks it only when
 * the request carries no key.
 */
export type ViewerResolver = (req: express.Request) => Promise<Viewer>;
