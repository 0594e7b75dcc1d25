/** Partners: keys, the rights their scopes grant, and their administration (no schema of their own). */
export { hasFieldRight, requireFieldRight, type FieldRight } from './field-rights.ts';
export { parsePartnerKey, partnerKeyMatches } from './partner-key.ts';
export {
  findPartnerById,
  findPartnerByKeyPrefix,
  listPartners,
  originBelongsToActivePartner,
  revokePartner,
} from './partners.repository.ts';
export {
  createPartner,
  findPartner,
  PartnerInputError,
  partnerScopes,
  rotatePartnerKey,
  viewerForPartner,
  type PartnerInput,
} from './partners.service.ts';
