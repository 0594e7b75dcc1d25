import { cacheTags as tag, type TermKind } from '../shared/cache-tags.ts';

/** Tags of a section, tag, person or organization looked up by id. */
export const tagsById =
  (kind: TermKind) =>
  (id: number): readonly string[] => [tag.term(kind, id)];

/** Tags of one looked up by slug; a slug that finds nothing is named by the ingest that creates it. */
export const tagsBySlug =
  (kind: TermKind) =>
  (slug: string, row: { readonly id: number } | null): readonly string[] =>
    row ? [tag.termSlug(kind, slug), tag.term(kind, row.id)] : [tag.termSlug(kind, slug)];
