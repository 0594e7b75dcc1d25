import { forbidden } from '../../shared/errors.ts';
import { hasScope, type Scope, type Viewer } from '../../shared/viewer.ts';

export type FieldRight = Extract<Scope, 'body'>;

/**
 * Field-level rights of partner keys. Anonymous callers read what the public website shows (the
 * body of a published article is public), so the rights restrict partners only: a key is a
 * contract that says exactly which fields its holder may republish.
 */
export function hasFieldRight(viewer: Viewer, scope: FieldRight): boolean {
  return viewer.kind !== 'partner' || hasScope(viewer, scope);
}

export function requireFieldRight(viewer: Viewer, scope: FieldRight, field: string): void {
  if (!hasFieldRight(viewer, scope)) {
    throw forbidden(`${field} needs the "${scope}" right, which this partner key does not have`);
  }
}
