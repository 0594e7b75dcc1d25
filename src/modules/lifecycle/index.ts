import type { ModuleManifest } from '../module-manifest.ts';
import { readTypeDefs } from '../module-manifest.ts';
import { lifecycleResolvers } from './lifecycle.resolvers.ts';

/** The write API of a CMS: mutations for an article's lifecycle, and the fields they leave on it. */
export const lifecycleModule: ModuleManifest = {
  name: 'lifecycle',
  typeDefs: readTypeDefs('./lifecycle.graphql', import.meta.url),
  resolvers: lifecycleResolvers,
};

export type {
  ArticleReferenceValue,
  ContentWriter,
  PreviewTargetResult,
  WriteOutcome,
  WriteProblem,
  WriteResult,
} from '../content-writer.ts';
export { MAX_BATCH_DOCUMENTS } from './lifecycle.resolvers.ts';
export {
  choosePreviewSecret,
  DEFAULT_PREVIEW_SECONDS,
  MAX_PREVIEW_SECONDS,
  PREVIEW_SECRET_MISSING,
  signPreviewToken,
  verifyPreviewToken,
  type PreviewClaims,
  type PreviewSecret,
} from './preview-token.ts';
