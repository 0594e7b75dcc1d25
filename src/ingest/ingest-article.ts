import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, StoredBlock } from '../db/database.ts';
import { appendChanges, findArticleBefore, type ChangeToAppend } from '../modules/changes/index.ts';
import { cacheTags, encodeContentChange, type TermKind } from '../shared/cache-tags.ts';
import { canonicalJson } from '../shared/canonical-json.ts';
import type { ArticleDocument, ImageDocument } from './article-document.ts';
import * as repository from './ingest.repository.ts';

export type IngestOutcome = 'created' | 'updated' | 'unchanged';

export interface IngestedArticle {
  readonly articleId: number;
  readonly slug: string;
  readonly outcome: IngestOutcome;
  /** The article's revision after the write. */
  readonly revision: number;
}

export interface IngestOptions {
  /** The revision the sender edited: a write on any other revision is refused (a concurrent edit won). */
  readonly expectedRevision?: number | undefined;
  /** Take over a slug (or URL) another story holds: that story is overwritten by this document. */
  readonly replace?: boolean | undefined;
}

/**
 * A write that is valid on its own but cannot go on given what is stored: `path` names the field
 * (`$.slug`), `code` is the GraphQL error code the API answers with.
 */
export class IngestConflictError extends Error {
  override name = 'IngestConflictError';
  readonly path: string;
  readonly code: 'CONFLICT' | 'NOT_FOUND' | 'BAD_USER_INPUT';
  constructor(path: string, message: string, code: 'CONFLICT' | 'NOT_FOUND' | 'BAD_USER_INPUT' = 'CONFLICT') {
    super(message);
    this.path = path;
    this.code = code;
  }
}

/** Refuses a write made on another revision than the stored one (optimistic concurrency). */
export function checkRevision(
  article: { readonly slug: string; readonly revision: number },
  expected: number | undefined,
): void {
  if (expected !== undefined && expected !== article.revision) {
    throw new IngestConflictError(
      '$.expectedRevision',
      `article "${article.slug}" is at revision ${article.revision}, this edit was made on revision ${expected}: expected the current revision (another edit landed first; reload and edit again)`,
    );
  }
}

/** A taken-down article stays down: no write brings it back. */
export function checkNotTakenDown(article: {
  readonly slug: string;
  readonly taken_down_at: Date | null;
}): void {
  if (article.taken_down_at !== null) {
    throw new IngestConflictError(
      '$',
      `article "${article.slug}" was taken down at ${article.taken_down_at.toISOString()}: a takedown is final and no write changes it`,
    );
  }
}

const nullable = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

function imageInput(image: ImageDocument): repository.ImageInput {
  return {
    url: image.url,
    width: nullable(image.width),
    height: nullable(image.height),
    caption: nullable(image.caption),
    credit: nullable(image.credit),
    alt: nullable(image.alt),
  };
}

function countWords(text: string): number {
  return text.split(/\s+/u).filter((word) => /[\p{L}\p{N}]/u.test(word)).length;
}

/** Hash of the document with keys sorted, so formatting and key order do not count as edits. */
export function contentHash(document: ArticleDocument): string {
  return createHash('sha256').update(canonicalJson(document)).digest('hex');
}

/** What one document names and so upserts before its own rows: in the order ingest upserts them. */
export interface NamedTerms {
  readonly sections: readonly repository.TermInput[];
  readonly tags: readonly repository.TermInput[];
  readonly organizations: readonly repository.TermInput[];
  readonly people: readonly repository.PersonInput[];
  readonly images: readonly repository.ImageInput[];
}

/** Ids of what the document names: slug → id (url → id for images). */
export interface NamedIds {
  readonly sections: ReadonlyMap<string, number>;
  readonly tags: ReadonlyMap<string, number>;
  readonly organizations: ReadonlyMap<string, number>;
  readonly people: ReadonlyMap<string, number>;
  readonly images: ReadonlyMap<string, number>;
}

/** The article's own rows, once the ids of what it names are known. */
export interface ArticleRows {
  readonly article: repository.ArticleInput;
  readonly links: repository.ArticleLinksInput;
  readonly quotes: readonly repository.QuoteInput[];
  readonly relatedLinks: readonly repository.RelatedLinkInput[];
}

/**
 * The pure half of ingest, document → rows, shared by `ingestArticle` and the bulk loader of the
 * benchmark data set so both write the same rows.
 */
export interface ArticlePlan {
  readonly hash: string;
  readonly url: string | null;
  readonly names: NamedTerms;
  rows(ids: NamedIds): ArticleRows;
}

export function planArticle(document: ArticleDocument): ArticlePlan {
  const people = [...(document.authors ?? []), ...(document.people ?? [])];
  const images = [
    ...(document.leadImage ? [document.leadImage] : []),
    ...document.body.flatMap((block) => (block.type === 'image' ? [block.image] : [])),
    ...(document.relatedLinks ?? []).flatMap((link) => (link.image ? [link.image] : [])),
  ];
  const names: NamedTerms = {
    sections: [term(document.section)],
    tags: (document.tags ?? []).map(term),
    organizations: (document.organizations ?? []).map(term),
    people: [...new Map(people.map((p) => [p.slug, p])).values()].map((p) => ({
      ...term(p),
      honorific: nullable(p.honorific),
      aliases: p.aliases ?? [],
    })),
    images: [...new Map(images.map((image) => [image.url, imageInput(image)])).values()],
  };
  const hash = contentHash(document);
  return { hash, url: nullable(document.url), names, rows: (ids) => articleRows(document, hash, ids) };
}

function articleRows(document: ArticleDocument, hash: string, ids: NamedIds): ArticleRows {
  const quoteOrdinals = new Map((document.quotes ?? []).map((quote, ordinal) => [quote.key, ordinal]));
  const linkPositions = new Map((document.relatedLinks ?? []).map((link, position) => [link.key, position]));
  const quoteBlocks = new Map<string, number>();
  const body: StoredBlock[] = document.body.map((block, position) => {
    switch (block.type) {
      case 'paragraph':
        for (const key of block.quotes ?? []) quoteBlocks.set(key, position);
        return { type: 'paragraph', text: block.text };
      case 'heading':
        return { type: 'heading', text: block.text, level: block.level ?? 2 };
      case 'quote':
        quoteBlocks.set(block.quote, position);
        return { type: 'quote', quote: quoteOrdinals.get(block.quote)! };
      case 'image':
        return { type: 'image', image: ids.images.get(block.image.url)! };
      case 'relatedLink':
        return { type: 'relatedLink', link: linkPositions.get(block.link)! };
    }
  });
  const wordCount = document.body.reduce(
    (sum, block) =>
      sum + (block.type === 'paragraph' || block.type === 'heading' ? countWords(block.text) : 0),
    0,
  );
  const publishedAt = document.publishedAt ? new Date(document.publishedAt) : null;
  const people = [...(document.authors ?? []), ...(document.people ?? [])];
  const names = new Map(
    [...people, ...(document.organizations ?? [])].map((entry) => [entry.slug, entry.name]),
  );
  return {
    article: {
      slug: document.slug,
      url: nullable(document.url),
      headline: document.headline,
      standfirst: nullable(document.standfirst),
      sectionId: ids.sections.get(document.section.slug)!,
      status: document.status ?? 'published',
      publishedAt,
      updatedAt: document.updatedAt ? new Date(document.updatedAt) : (publishedAt ?? new Date()),
      language: document.language ?? 'en',
      leadImageId: document.leadImage ? ids.images.get(document.leadImage.url)! : null,
      body,
      wordCount,
      contentHash: hash,
      sourceId: nullable(document.sourceId),
      corrections: document.corrections?.map((c) => ({ at: new Date(c.at).toISOString(), text: c.text })),
    },
    links: {
      tagIds: (document.tags ?? []).map((tag) => ids.tags.get(tag.slug)!),
      authorIds: (document.authors ?? []).map((author) => ids.people.get(author.slug)!),
      mentions: (document.people ?? []).map((person) => ({
        personId: ids.people.get(person.slug)!,
        role: nullable(person.role),
      })),
      organizationIds: (document.organizations ?? []).map((o) => ids.organizations.get(o.slug)!),
    },
    quotes: (document.quotes ?? []).map((quote) => {
      const { speaker } = quote;
      return {
        blockPosition: quoteBlocks.get(quote.key)!,
        text: quote.text,
        context: nullable(quote.context),
        speakerPersonId: 'person' in speaker ? ids.people.get(speaker.person)! : null,
        speakerOrganizationId:
          'organization' in speaker ? ids.organizations.get(speaker.organization)! : null,
        speakerName:
          'name' in speaker
            ? speaker.name
            : names.get('person' in speaker ? speaker.person : speaker.organization)!,
      };
    }),
    relatedLinks: (document.relatedLinks ?? []).map((link) => ({
      title: link.title,
      url: nullable(link.url),
      label: nullable(link.label),
      imageId: link.image ? ids.images.get(link.image.url)! : null,
      targetSlug: nullable(link.article),
    })),
  };
}

/**
 * Writes one validated article with everything it names, in one transaction: either all of it is
 * stored or none of it. Idempotent: an unchanged document writes nothing. A change is announced to
 * response caches on commit, as the cache tags it touched (src/shared/cache-tags.ts).
 */
export async function ingestArticle(
  db: Kysely<Database>,
  document: ArticleDocument,
  options: IngestOptions = {},
): Promise<IngestedArticle> {
  const plan = planArticle(document);
  const { hash, url, names } = plan;
  const sourceId = nullable(document.sourceId);
  return db.transaction().execute(async (trx) => {
    const existing = await repository.findArticleIdentity(trx, document.slug, url, sourceId);
    const { current, replaced } = identify(existing, document, sourceId, options);
    const owner = existing.find(
      (row) => url !== null && row.url === url && row.id !== current?.id && row.id !== replaced?.id,
    );
    if (owner) {
      throw new IngestConflictError(
        '$.url',
        `url ${url} already belongs to article "${owner.slug}": expected a unique url`,
      );
    }
    if (current) {
      checkNotTakenDown(current);
      checkRevision(current, options.expectedRevision);
      if (current.content_hash === hash)
        return {
          articleId: current.id,
          slug: document.slug,
          outcome: 'unchanged',
          revision: current.revision,
        };
    } else if (options.expectedRevision !== undefined) {
      throw new IngestConflictError(
        '$.expectedRevision',
        `no article "${document.slug}"${sourceId ? ` (source id ${sourceId})` : ''} exists yet: expected no expectedRevision for a new article`,
      );
    }
    if (replaced) checkNotTakenDown(replaced);

    await repository.markContentAnnounced(trx);
    // What the article had before: lists it leaves must drop their cached pages too.
    const before = current ? await repository.findArticleTerms(trx, current.id) : [];
    // The change log records the article (and a story it replaces) as it was, and as it is at commit.
    const previous = current ? await findArticleBefore(trx, current.id) : undefined;
    const gone = replaced ? await findArticleBefore(trx, replaced.id) : undefined;
    const sections = await repository.upsertSections(trx, names.sections);
    const tags = await repository.upsertTags(trx, names.tags);
    const organizations = await repository.upsertOrganizations(trx, names.organizations);
    const persons = await repository.upsertPeople(trx, names.people);
    const storedImages = await repository.upsertImages(trx, names.images);
    const rows = plan.rows({
      sections: sections.ids,
      tags: tags.ids,
      organizations: organizations.ids,
      people: persons.ids,
      images: storedImages.ids,
    });
    // A replaced story gives up its slug (and its row goes); a renamed one keeps its old slug as a redirect.
    if (replaced) await repository.deleteArticle(trx, replaced.id);
    const redirectedFrom = await repository.dropSlugRedirect(trx, document.slug);
    let articleId: number;
    let revision: number;
    if (current) {
      articleId = current.id;
      revision = await repository.updateArticle(trx, articleId, rows.article);
      if (current.slug !== document.slug) await repository.addSlugRedirect(trx, current.slug, articleId);
    } else {
      articleId = await repository.insertArticle(trx, rows.article);
      revision = 1;
    }
    await repository.replaceArticleLinks(trx, articleId, rows.links);
    await repository.replaceQuotes(trx, articleId, rows.quotes);
    await repository.replaceRelatedLinks(trx, articleId, rows.relatedLinks);
    const linkedFrom = await repository.attachLinksTargeting(trx, articleId, document.slug);
    await repository.refreshArticleSearch(trx, articleId);

    const touched = touchedCacheTags({
      articleId,
      slug: document.slug,
      urls: [current?.url ?? null, url],
      linkedFrom,
      before,
      upserted: { section: sections, tag: tags, person: persons, organization: organizations },
      images: storedImages,
    });
    for (const old of [current?.slug, replaced?.slug]) if (old) touched.add(cacheTags.articleSlug(old));
    if (replaced) touched.add(cacheTags.article(replaced.id));
    if (redirectedFrom !== undefined) touched.add(cacheTags.article(redirectedFrom));
    await repository.notifyContentChanged(trx, encodeContentChange(touched));
    const changes: ChangeToAppend[] = [];
    if (gone) changes.push({ type: 'deleted', articleId: gone.id, before: gone });
    changes.push({
      type: current ? 'derive' : 'created',
      articleId,
      before: previous ?? null,
      previousSlug: current && current.slug !== document.slug ? current.slug : null,
    });
    await appendChanges(trx, changes);
    return { articleId, slug: document.slug, outcome: current ? 'updated' : 'created', revision };
  });
}

/**
 * Which stored article a document is. With a `sourceId`, that id is the identity: the article holding
 * it (whatever its slug now); the slug of another story is refused, naming both, unless `replace`.
 * Without one, the slug is the identity, but an article that came with a source id is updated only
 * by documents carrying it (or `replace`).
 */
function identify(
  existing: readonly repository.ArticleIdentityRow[],
  document: ArticleDocument,
  sourceId: string | null,
  options: IngestOptions,
): { current?: repository.ArticleIdentityRow; replaced?: repository.ArticleIdentityRow } {
  const bySlug = existing.find((row) => row.slug === document.slug);
  const describe = (row: repository.ArticleIdentityRow) =>
    `"${row.headline}" (${row.source_id ? `source id ${row.source_id}` : `id ${row.id}`})`;
  if (sourceId !== null) {
    const bySource = existing.find((row) => row.source_id === sourceId);
    if (!bySlug || bySlug.id === bySource?.id) return bySource ? { current: bySource } : {};
    if (!options.replace) {
      throw new IngestConflictError(
        '$.slug',
        `slug "${document.slug}" belongs to another story, ${describe(bySlug)}; this document is "${document.headline}" (source id ${sourceId}): expected a slug no other story uses, or replace: true to overwrite that story`,
      );
    }
    return bySource ? { current: bySource, replaced: bySlug } : { current: bySlug };
  }
  if (bySlug && bySlug.source_id !== null && !options.replace) {
    throw new IngestConflictError(
      '$.sourceId',
      `slug "${document.slug}" belongs to ${describe(bySlug)}, which is updated by its source id: expected "sourceId": "${bySlug.source_id}" to update it, another slug for a new story, or replace: true to overwrite it`,
    );
  }
  return bySlug ? { current: bySlug } : {};
}

/**
 * The cache tags an ingest touched (src/shared/cache-tags.ts): the article by every key it is looked
 * up with, the articles linking to it, the article lists of every term it had before or has now, and
 * the rows of terms and images the upserts inserted or changed.
 */
function touchedCacheTags(change: {
  readonly articleId: number;
  readonly slug: string;
  readonly urls: readonly (string | null)[];
  readonly linkedFrom: readonly number[];
  readonly before: readonly { kind: TermKind; id: number; slug: string }[];
  readonly upserted: Record<TermKind, repository.Upserted>;
  readonly images: repository.Upserted;
}): Set<string> {
  const touched = new Set<string>([
    cacheTags.allArticles,
    cacheTags.article(change.articleId),
    cacheTags.articleSlug(change.slug),
    ...change.urls.flatMap((url) => (url ? [cacheTags.articleUrl(url)] : [])),
    ...change.linkedFrom.map(cacheTags.article),
  ]);
  const upserted = Object.entries(change.upserted) as [TermKind, repository.Upserted][];
  const after = upserted.flatMap(([kind, { ids }]) => [...ids].map(([slug, id]) => ({ kind, id, slug })));
  for (const { kind, id, slug } of [...change.before, ...after]) {
    touched.add(cacheTags.articlesOf(kind, id)).add(cacheTags.articlesOfSlug(kind, slug));
  }
  for (const [kind, { changed }] of upserted) {
    for (const { id, key } of changed) {
      touched.add(cacheTags.term(kind, id)).add(cacheTags.termSlug(kind, key)).add(cacheTags.allTerms(kind));
    }
  }
  for (const { id } of change.images.changed) touched.add(cacheTags.image(id));
  return touched;
}

function term(entry: { slug: string; name: string; description?: string | undefined }): repository.TermInput {
  return { slug: entry.slug, name: entry.name, description: nullable(entry.description) };
}
