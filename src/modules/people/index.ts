import type { ModuleManifest } from '../module-manifest.ts';
import { readTypeDefs } from '../module-manifest.ts';
import { createPeopleLoaders, type PeopleLoaders } from './people.loaders.ts';
import { peopleResolvers } from './people.resolvers.ts';

export const peopleModule: ModuleManifest<PeopleLoaders> = {
  name: 'people',
  typeDefs: readTypeDefs('./people.graphql', import.meta.url),
  resolvers: peopleResolvers,
  loaders: createPeopleLoaders,
};
export { listPeople, type MatchedPersonRow } from './people.repository.ts';
