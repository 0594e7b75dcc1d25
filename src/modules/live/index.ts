import type { ModuleManifest } from '../module-manifest.ts';
import { readTypeDefs } from '../module-manifest.ts';
import { liveResolvers } from './live.resolvers.ts';

/** Live updates: `Subscription.changes`, the change log followed over WebSocket (src/http/subscriptions.ts). */
export const liveModule: ModuleManifest = {
  name: 'live',
  typeDefs: readTypeDefs('./live.graphql', import.meta.url),
  resolvers: liveResolvers,
};
