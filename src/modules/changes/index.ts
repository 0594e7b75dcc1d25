import type { ModuleManifest } from '../module-manifest.ts';
import { readTypeDefs } from '../module-manifest.ts';
import { createChangeLoaders, type ChangeLoaders } from './changes.loaders.ts';
import { changeResolvers } from './changes.resolvers.ts';

/** The change log: what changed since a consumer last looked (`Query.changes`), and how it is written. */
export const changesModule: ModuleManifest<ChangeLoaders> = {
  name: 'changes',
  typeDefs: readTypeDefs('./changes.graphql', import.meta.url),
  resolvers: changeResolvers,
  loaders: createChangeLoaders,
};

export { startChangeLogKeeper, type ChangeLogKeeper } from './change-log-keeper.ts';
export { decodeChangeCursor, encodeChangeCursor } from './change-cursor.ts';
export { CHANGES_CURSOR_EXPIRED, toChangeFilter } from './changes.resolvers.ts';
export type { ChangeEventEdgeParent, ChangeEventParent } from './changes.mappers.ts';
export {
  appendChanges,
  appendCreatedInBulk,
  appendDueEmbargoLifts,
  CHANGE_TYPES,
  CHANGES_CHANNEL,
  findArticleBefore,
  findChangesHead,
  listChanges,
  pruneChanges,
  type ArticleBefore,
  type ChangeEventRow,
  type ChangeFilter,
  type ChangePage,
  type ChangeToAppend,
} from './changes.repository.ts';
export {
  changeMatchesFilter,
  createChangeFollower,
  SlowConsumerError,
  type ChangeFollower,
  type FollowOptions,
} from './change-follower.ts';
