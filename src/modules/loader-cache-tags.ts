import type DataLoader from 'dataloader';
import type { ArticlePartKey } from './articles/articles.loaders.ts';
import type { ArticleParts } from './articles/articles.mappers.ts';
import type { ArticleListFilter, ArticlePart } from './articles/articles.repository.ts';
import type { QuoteListFilter } from './quotes/quotes.repository.ts';
import { cacheTags as tag, type TermKind } from '../shared/cache-tags.ts';
import { currentCacheTags } from '../shared/request-scope.ts';
import type { Loaders } from './loader-types.ts';

/**
 * Where the response cache learns what an answer was built from: every read of a GraphQL request
 * goes through a loader, so each loader names the cache tags (`src/shared/cache-tags.ts`) of the key it
 * was asked and the value it gave. Recording wraps `load` (which `loadMany` calls), not the batch
 * function, so a value primed by another loader or served from the request's loader cache still
 * counts. The table is typed over every loader: a loader added without its tags does not compile.
 */
type TagsOf<L> =
  L extends DataLoader<infer K, infer V, infer _C> ? (key: K, value: V) => readonly string[] : never;

const none: readonly string[] = [];
const allArticles = [tag.allArticles];

/**
 * One tag naming the list's membership. Any one narrowing is enough: an article can only enter or
 * leave the list if it had or has that section, tag, person or organization, and ingest announces
 * all of those, before and after. A list narrowed only by dates depends on every article.
 */
function articleListTag(filter: ArticleListFilter): string {
  if (filter.tagId !== undefined) return tag.articlesOf('tag', filter.tagId);
  if (filter.tagSlug !== undefined) return tag.articlesOfSlug('tag', filter.tagSlug);
  if (filter.authorId !== undefined) return tag.articlesOf('person', filter.authorId);
  if (filter.mentionedPersonId !== undefined) return tag.articlesOf('person', filter.mentionedPersonId);
  if (filter.mentionedOrganizationId !== undefined) {
    return tag.articlesOf('organization', filter.mentionedOrganizationId);
  }
  if (filter.personSlug !== undefined) return tag.articlesOfSlug('person', filter.personSlug);
  if (filter.sectionId !== undefined) return tag.articlesOf('section', filter.sectionId);
  if (filter.sectionSlug !== undefined) return tag.articlesOfSlug('section', filter.sectionSlug);
  return tag.allArticles;
}

/** Quotes live in articles: the same rule, by speaker or by article. */
function quoteListTags(filter: QuoteListFilter): readonly string[] {
  if (filter.speakerPersonId !== undefined) return [tag.articlesOf('person', filter.speakerPersonId)];
  if (filter.speakerOrganizationId !== undefined) {
    return [tag.articlesOf('organization', filter.speakerOrganizationId)];
  }
  if (filter.speakerSlug !== undefined) {
    // One slug names a person or an organization.
    return [
      tag.articlesOfSlug('person', filter.speakerSlug),
      tag.articlesOfSlug('organization', filter.speakerSlug),
    ];
  }
  if (filter.articleSlug !== undefined) return [tag.articleSlug(filter.articleSlug)];
  return allArticles;
}

const PART_TERMS = { section: 'section', tags: 'tag', authors: 'person' } as const;

/** A part is part of its article, and names the terms or images it shows. */
function articlePartTags(
  { articleId, part }: ArticlePartKey,
  value: ArticleParts[ArticlePart],
): readonly string[] {
  const rows: readonly { readonly id: number }[] =
    value === null ? [] : Array.isArray(value) ? value : [value];
  const named =
    part === 'leadImage' || part === 'bodyImages'
      ? rows.map((row) => tag.image(row.id))
      : rows.map((row) => tag.term(PART_TERMS[part], row.id));
  return [tag.article(articleId), ...named];
}

const byId =
  (kind: TermKind) =>
  (id: number): readonly string[] => [tag.term(kind, id)];
// A slug that finds nothing is named by the ingest that creates it.
const bySlug =
  (kind: TermKind) =>
  (slug: string, row: { readonly id: number } | null): readonly string[] =>
    row ? [tag.termSlug(kind, slug), tag.term(kind, row.id)] : [tag.termSlug(kind, slug)];

const loaderTags: { readonly [Name in keyof Loaders]: TagsOf<Loaders[Name]> } = {
  articleById: (id) => [tag.article(id)],
  articleBySlug: (slug, row) =>
    row ? [tag.articleSlug(slug), tag.article(row.id)] : [tag.articleSlug(slug)],
  articleByUrl: (url, row) => (row ? [tag.articleUrl(url), tag.article(row.id)] : [tag.articleUrl(url)]),
  articlePage: (page, rows) => [articleListTag(page.filter), ...rows.map((row) => tag.article(row.id))],
  articleCount: (filter) => [articleListTag(filter)],
  articleBodyById: (id) => [tag.article(id)],
  imageById: (id) => [tag.image(id)],
  // Name lookups rank by appearances in every visible article.
  peoplePage: (page) =>
    page.query === undefined ? [tag.allTerms('person')] : [tag.allTerms('person'), tag.allArticles],
  peopleCount: (query) =>
    query === '' ? [tag.allTerms('person')] : [tag.allTerms('person'), tag.allArticles],
  personById: byId('person'),
  personBySlug: bySlug('person'),
  organizationById: byId('organization'),
  organizationBySlug: bySlug('organization'),
  articleParts: (key, value) => articlePartTags(key, value),
  mentionsByArticle: (articleId, mentions) => [
    tag.article(articleId),
    ...mentions.map((mention) => tag.term('person', mention.person.id)),
  ],
  organizationsByArticle: (articleId, organizations) => [
    tag.article(articleId),
    ...organizations.map((organization) => tag.term('organization', organization.id)),
  ],
  // A quote or link is part of its article; one not found (or not visible) appears only through ingest.
  quoteById: (_id, quote) => (quote ? [tag.article(quote.article_id)] : allArticles),
  quotesByArticle: ({ articleId }) => [tag.article(articleId)],
  quotePage: (page, rows) => [
    ...quoteListTags(page.filter),
    ...rows.map((row) => tag.article(row.article_id)),
  ],
  quoteCount: (filter) => quoteListTags(filter),
  relatedLinkById: (_id, link) => (link ? [tag.article(link.article_id)] : allArticles),
  relatedLinksByArticle: ({ articleId }) => [tag.article(articleId)],
  allSections: () => [tag.allTerms('section')],
  sectionById: byId('section'),
  sectionBySlug: bySlug('section'),
  tagById: byId('tag'),
  tagBySlug: bySlug('tag'),
  // How many words Postgres keeps of a search text depends on the text alone.
  queryTermCount: () => none,
  // Search, related stories and co-quoted speakers rank across every visible article.
  searchPage: () => allArticles,
  searchTotal: () => allArticles,
  relatedArticles: () => allArticles,
  quotedWith: () => allArticles,
  personTopics: () => allArticles,
};

/** Makes each loader record its cache tags into the request's set while the response cache collects. */
export function withCacheTags<T extends Partial<Record<keyof Loaders, unknown>>>(loaders: T): T {
  for (const name of Object.keys(loaders) as (keyof Loaders)[]) {
    const loader = loaders[name] as unknown as DataLoader<unknown, unknown, unknown>;
    const tagsOf = loaderTags[name] as (key: unknown, value: unknown) => readonly string[];
    const load = loader.load.bind(loader);
    loader.load = (key) => {
      const tags = currentCacheTags();
      if (!tags) return load(key);
      return load(key).then((value) => {
        for (const name of tagsOf(key, value)) tags.add(name);
        return value;
      });
    };
  }
  return loaders;
}
