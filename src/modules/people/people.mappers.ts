import type { OrganizationRow, PersonRow } from '../../db/database.ts';
import type { Typed } from '../../shared/typename.ts';

export type PersonParent = Typed<PersonRow, 'Person'>;
export type OrganizationParent = Typed<OrganizationRow, 'Organization'>;
