import type { ModuleManifest } from '../module-manifest.ts';
import { readTypeDefs } from '../module-manifest.ts';
import { createArticleLoaders, type ArticleLoaders } from './articles.loaders.ts';
import { articleResolvers } from './articles.resolvers.ts';

export const articlesModule: ModuleManifest<ArticleLoaders> = {
  name: 'articles',
  typeDefs: readTypeDefs('./articles.graphql', import.meta.url),
  resolvers: articleResolvers,
  loaders: createArticleLoaders,
};

export { resolveArticleConnection, toListFilter } from './article-connection.ts';
export { loadArticlePart } from './article-parts.ts';
export { canonicalUrl } from './canonical-url.ts';
export {
  filteredArticles,
  findArticleForEditors,
  findArticlePreviewState,
  listArticlesQuery,
  type ArticleListFilter,
  type ArticlePart,
} from './articles.repository.ts';
export {
  articleChangeState,
  articleIsVisible,
  changeIsVisible,
  isPublic,
  isTakenDown,
  NEXT_EMBARGO_LIFT_SQL,
  visibilityKey,
} from './visibility.ts';
