import type { ModuleManifest } from '../module-manifest.ts';
import { readTypeDefs } from '../module-manifest.ts';
import { createSearchLoaders, type SearchLoaders } from './search.loaders.ts';
import { searchResolvers } from './search.resolvers.ts';

export const searchModule: ModuleManifest<SearchLoaders> = {
  name: 'search',
  typeDefs: readTypeDefs('./search.graphql', import.meta.url),
  resolvers: searchResolvers,
  loaders: createSearchLoaders,
};

export { countSearchMatches, searchArticles, type SearchPageQuery } from './search.repository.ts';
export {
  headlineInput,
  searchText,
  textSearchConfig,
  tsquery,
  validateSearchText,
  WHOLE_TEXT_HEADLINE,
  withoutHonorifics,
  SEARCH_CANDIDATES,
} from './search-text.ts';
