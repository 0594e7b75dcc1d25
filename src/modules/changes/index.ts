export { decodeChangeCursor, encodeChangeCursor } from './change-cursor.ts';
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
