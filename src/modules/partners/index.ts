import type { ModuleManifest } from '../module-manifest.ts';
import { readTypeDefs } from '../module-manifest.ts';
import { partnerResolvers } from './partners.resolvers.ts';

/** Partners: keys, the rights their scopes grant, and their administration (admin scope). */
export const partnersModule: ModuleManifest = {
  name: 'partners',
  typeDefs: readTypeDefs('./partners.graphql', import.meta.url),
  resolvers: partnerResolvers,
};

export { hasFieldRight, requireFieldRight, type FieldRight } from './field-rights.ts';
export { parsePartnerKey, partnerKeyMatches } from './partner-key.ts';
export {
  findPartnerById,
  findPartnerByKeyPrefix,
  findPartnerKeys,
  listPartners,
  originBelongsToActivePartner,
  revokePartner,
} from './partners.repository.ts';
export {
  createPartner,
  findPartner,
  issueLocalCliKey,
  LOCAL_CLI_PARTNER,
  PartnerInputError,
  partnerScopes,
  rotatePartnerKey,
  viewerForPartner,
  type PartnerInput,
} from './partners.service.ts';
