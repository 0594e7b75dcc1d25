import type DataLoader from 'dataloader';
import { batchAcrossParents, manyInKeyOrder, oneInKeyOrder, type KeyParent } from '../../shared/batch.ts';
import { fromJsonRow, fromJsonRowOrNull } from '../../db/json-row.ts';
import type { ArticleChild } from '../article-children.ts';
import type { Loaders } from '../loader-types.ts';
import { typed } from '../../shared/typename.ts';
import * as repository from './quotes.repository.ts';
import type { OrganizationParent, PersonParent, QuoteParent } from '../parents.ts';
import { cacheTags as tag } from '../../shared/cache-tags.ts';
import { createLoader, type LoaderScope } from '../create-loader.ts';

/** Loaders of the people module that an article's quotes fill with their speakers. */
export interface QuoteSpeakerPrimes {
  readonly personById: DataLoader<number, PersonParent | null>;
  readonly organizationById: DataLoader<number, OrganizationParent | null>;
}

/** The quotes of one article, and whether the caller will read their speakers. */
export interface QuotesOfArticle {
  readonly articleId: number;
  readonly speakers: boolean;
}

declare module '../loader-types.ts' {
  interface Loaders extends QuoteLoaders {}
}

export type QuoteLoaders = ReturnType<typeof createQuoteLoaders>;

export function createQuoteLoaders({ db, viewer, hooks, loaders: primes }: LoaderScope) {
  const quoteById = createLoader<number, QuoteParent | null>(
    'quoteById',
    async (ids) =>
      oneInKeyOrder(
        ids,
        (await repository.findQuotesByIds(db, viewer, ids)).map((row) => typed('Quote', row)),
        (row) => row.id,
      ),
    {
      hooks,
      // A quote not found (or not visible) appears only through ingest.
      tags: (_id, quote) => (quote ? [tag.article(quote.article_id)] : [tag.allArticles]),
    },
  );
  // Keyed by article and whether the caller reads speakers; every key of a tick is one statement,
  // which brings speakers (priming personById and organizationById) when any key asks for them.
  const quotesByArticle = createLoader<QuotesOfArticle, QuoteParent[], string>(
    'quotesByArticle',
    async (keys) => {
      const articleIds = [...new Set(keys.map((key) => key.articleId))];
      const speakers = keys.some((key) => key.speakers);
      const rows = reviveQuotes(
        primes,
        await repository.listQuotesByArticleIds(db, articleIds, { speakers }),
      );
      for (const row of rows) quoteById.prime(row.id, row);
      const lists = manyInKeyOrder(articleIds, rows, (row) => row.article_id);
      const byArticle = new Map(articleIds.map((id, index) => [id, lists[index]!]));
      return keys.map((key) => byArticle.get(key.articleId)!);
    },
    {
      cacheKeyFn: (key) => `${key.articleId}:${key.speakers}`,
      hooks,
      tags: ({ articleId }) => [tag.article(articleId)],
    },
  );
  // Quote rows, their articles (when the page brought them) primed into articleById.
  const withArticles = (
    rows: readonly (Omit<QuoteParent, '__typename'> & { readonly article?: unknown })[],
  ) =>
    rows.map(({ article, ...quote }) => {
      if (article !== undefined) {
        primes.articleById.prime(quote.article_id, typed('Article', fromJsonRow('articles', article)));
      }
      return typed('Quote', quote);
    });
  // Pages that differ only by their speaker (a list of people, each with their quotes) run as one
  // statement; identical pages are shared.
  const quotePage = createLoader<repository.QuotePageQuery, QuoteParent[], string>(
    'quotePage',
    batchAcrossParents({
      parentOf: (page) => {
        // Text searches rank by relevance and are never nested under a speaker: each runs alone.
        const parent = page.filter.text === undefined ? parentOf(page.filter) : undefined;
        return parent && { ...parent, rest: { ...page, filter: parent.rest } };
      },
      one: async (page) => withArticles(await repository.listQuotes(db, viewer, page)),
      many: async (page, field, ids) =>
        manyInKeyOrder(
          ids,
          await repository.listQuotesOfParents(db, viewer, page, field, ids),
          (row) => row.parent_id,
        ).map((rows) => withArticles(rows.map(({ parent_id: _parentId, ...quote }) => quote))),
    }),
    {
      cacheKeyFn: (page) => JSON.stringify(page),
      hooks,
      tags: (page, rows) => [
        ...quoteListTags(page.filter),
        ...rows.map((row) => tag.article(row.article_id)),
      ],
    },
  );
  const quoteCount = createLoader<repository.QuoteListFilter, number, string>(
    'quoteCount',
    batchAcrossParents({
      parentOf,
      one: (filter) => repository.countQuotes(db, viewer, filter),
      many: async (filter, field, ids) =>
        oneInKeyOrder(
          ids,
          await repository.countQuotesOfParents(db, viewer, filter, field, ids),
          (row) => row.parent_id,
        ).map((row) => row?.count ?? 0),
    }),
    { cacheKeyFn: (filter) => JSON.stringify(filter), hooks, tags: (filter) => quoteListTags(filter) },
  );
  return { quoteById, quotesByArticle, quotePage, quoteCount };
}

type QuoteRowWithSpeakers = Omit<QuoteParent, '__typename'> & {
  readonly speaker_person?: unknown;
  readonly speaker_organization?: unknown;
};

/** Quote rows as the loaders return them, their speakers' JSON rows primed into the people module's loaders. */
function reviveQuotes(primes: QuoteSpeakerPrimes, rows: readonly QuoteRowWithSpeakers[]): QuoteParent[] {
  return rows.map(({ speaker_person, speaker_organization, ...quote }) => {
    const person = fromJsonRowOrNull('people', speaker_person);
    if (person) primes.personById.prime(person.id, typed('Person', person));
    const organization = fromJsonRowOrNull('organizations', speaker_organization);
    if (organization) primes.organizationById.prime(organization.id, typed('Organization', organization));
    return typed('Quote', quote);
  });
}

/** An article's quotes brought by the article's own statement, as `quotesByArticle` would load them. */
export const quotesOfArticle: ArticleChild = {
  json: (db, _viewer, speakers) => repository.quotesOfArticleJson(db, speakers),
  prime(loaders: Loaders, articleId, json, speakers) {
    const rows = reviveQuotes(
      loaders,
      (json as unknown[]).map((row) => fromJsonRow('quotes', row) as QuoteRowWithSpeakers),
    );
    for (const row of rows) loaders.quoteById.prime(row.id, row);
    // The rows are the same either way; speakers were primed only if brought.
    loaders.quotesByArticle.prime({ articleId, speakers: false }, rows);
    if (speakers) loaders.quotesByArticle.prime({ articleId, speakers: true }, rows);
  },
};

/** The first parent speaker a filter names, and the filter without it. */
function parentOf(
  filter: repository.QuoteListFilter,
): KeyParent<repository.QuoteListFilter, repository.QuoteParentField> | undefined {
  const field = repository.QUOTE_PARENT_FIELDS.find((name) => filter[name] !== undefined);
  if (field === undefined) return undefined;
  const { [field]: id, ...rest } = filter;
  return { field, id: id!, rest };
}

/** Quotes live in articles: a list's membership is named as an article list's is, by speaker or by article. */
function quoteListTags(filter: repository.QuoteListFilter): readonly string[] {
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
  return [tag.allArticles];
}
