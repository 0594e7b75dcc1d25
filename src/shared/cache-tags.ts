import { createHash } from 'node:crypto';

/**
 * The names of what a cached response was built from. Reads record them while a response
 * is computed (`createLoader` in `src/modules/create-loader.ts`, each module naming its loaders' tags); ingest announces the ones it changed, after commit,
 * on `CONTENT_CHANGED_CHANNEL` (`src/ingest/ingest-article.ts`); each gateway then drops exactly the
 * entries carrying one of them (`src/cache/response-cache.ts`). One vocabulary for both sides:
 *
 * - `articles`: any article changed. Lists without a narrower tag (unfiltered or by date), search,
 *   related stories and name lookups, and lookups by id of a quote or link that found nothing.
 * - `article:<id>`, `article/<slug>`, `article-url/<hash>`: one article (row, body, its tags, people,
 *   quotes and links), by the key it was looked up with.
 * - `<kind>:<id>`, `<kind>/<slug>`: one section, tag, person or organization row (its name, its
 *   description), by the key it was looked up with; announced when that row is added or changed.
 *   `image:<id>` likewise.
 * - `sections`, `tags`, `people`, `organizations`: a row of that kind was added or changed (lists of
 *   all of them).
 * - `<kind>:<id>/articles`, `<kind>/<slug>/articles`: which articles a section, tag, person or
 *   organization has (a list narrowed by it); announced for every term an ingested article had before
 *   or has after.
 */

export const CONTENT_CHANGED_CHANNEL = 'byline_content_changed';

export type TermKind = 'section' | 'tag' | 'person' | 'organization';

const PLURAL: Record<TermKind, string> = {
  section: 'sections',
  tag: 'tags',
  person: 'people',
  organization: 'organizations',
};

export const cacheTags = {
  allArticles: 'articles',
  article: (id: number) => `article:${id}`,
  articleSlug: (slug: string) => `article/${slug}`,
  // URLs are long and may hold anything; a hash keeps the tag (and the notification) short.
  articleUrl: (url: string) => `article-url/${createHash('sha256').update(url).digest('hex').slice(0, 16)}`,
  term: (kind: TermKind, id: number) => `${kind}:${id}`,
  termSlug: (kind: TermKind, slug: string) => `${kind}/${slug}`,
  allTerms: (kind: TermKind) => PLURAL[kind],
  articlesOf: (kind: TermKind, id: number) => `${kind}:${id}/articles`,
  articlesOfSlug: (kind: TermKind, slug: string) => `${kind}/${slug}/articles`,
  image: (id: number) => `image:${id}`,
};

/** Postgres refuses NOTIFY payloads of 8000 bytes or more. */
export const MAX_NOTIFY_PAYLOAD_BYTES = 7999;

/** What a content change notification says: these tags changed, or everything may have. */
export type ContentChange =
  | { readonly kind: 'tags'; readonly tags: readonly string[] }
  | { readonly kind: 'everything'; readonly id: string | undefined };

/**
 * The payload announcing `tags`, or undefined when it would not fit in one notification (the
 * announcer then sends its transaction id instead, which every listener reads as "everything").
 */
export function encodeContentChange(tags: Iterable<string>): string | undefined {
  const payload = JSON.stringify([...new Set(tags)]);
  return Buffer.byteLength(payload, 'utf8') <= MAX_NOTIFY_PAYLOAD_BYTES ? payload : undefined;
}

/**
 * Reads a payload: a JSON array of tags from ingest, or anything else (the statement trigger's
 * transaction id, written by other writers and by ingest when its tags do not fit) as "everything".
 */
export function decodeContentChange(payload: string): ContentChange {
  if (payload.startsWith('[')) {
    try {
      const tags: unknown = JSON.parse(payload);
      if (Array.isArray(tags) && tags.every((tag) => typeof tag === 'string')) return { kind: 'tags', tags };
    } catch {
      // Not ours: treated as everything below.
    }
  }
  return { kind: 'everything', id: /^[\w-]{1,64}$/.test(payload) ? payload : undefined };
}
