import DataLoader from 'dataloader';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { batchAcrossParents, manyInKeyOrder, oneInKeyOrder, type KeyParent } from '../../shared/batch.ts';
import { fromJsonRowOrNull } from '../../db/json-row.ts';
import { typed } from '../../shared/typename.ts';
import type { Viewer } from '../../shared/viewer.ts';
import type { OrganizationParent, PersonParent } from '../people/people.mappers.ts';
import type { QuoteParent } from './quotes.mappers.ts';
import * as repository from './quotes.repository.ts';

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

export function createQuoteLoaders(db: Kysely<Database>, viewer: Viewer, primes: QuoteSpeakerPrimes) {
  const quoteById = new DataLoader<number, QuoteParent | null>(async (ids) =>
    oneInKeyOrder(
      ids,
      (await repository.findQuotesByIds(db, viewer, ids)).map((row) => typed('Quote', row)),
      (row) => row.id,
    ),
  );
  // Keyed by article and whether the caller reads speakers; every key of a tick is one statement,
  // which brings speakers (priming personById and organizationById) when any key asks for them.
  const quotesByArticle = new DataLoader<QuotesOfArticle, QuoteParent[], string>(
    async (keys) => {
      const articleIds = [...new Set(keys.map((key) => key.articleId))];
      const speakers = keys.some((key) => key.speakers);
      const rows = (await repository.listQuotesByArticleIds(db, articleIds, { speakers })).map(
        ({ speaker_person, speaker_organization, ...quote }) => {
          const person = fromJsonRowOrNull('people', speaker_person);
          if (person) primes.personById.prime(person.id, typed('Person', person));
          const organization = fromJsonRowOrNull('organizations', speaker_organization);
          if (organization)
            primes.organizationById.prime(organization.id, typed('Organization', organization));
          return typed('Quote', quote);
        },
      );
      for (const row of rows) quoteById.prime(row.id, row);
      const lists = manyInKeyOrder(articleIds, rows, (row) => row.article_id);
      const byArticle = new Map(articleIds.map((id, index) => [id, lists[index]!]));
      return keys.map((key) => byArticle.get(key.articleId)!);
    },
    { cacheKeyFn: (key) => `${key.articleId}:${key.speakers}` },
  );
  // Pages that differ only by their speaker (a list of people, each with their quotes) run as one
  // statement; identical pages are shared.
  const quotePage = new DataLoader<repository.QuotePageQuery, QuoteParent[], string>(
    batchAcrossParents({
      parentOf: (page) => {
        // Text searches rank by relevance and are never nested under a speaker: each runs alone.
        const parent = page.filter.text === undefined ? parentOf(page.filter) : undefined;
        return parent && { ...parent, rest: { ...page, filter: parent.rest } };
      },
      one: async (page) => (await repository.listQuotes(db, viewer, page)).map((row) => typed('Quote', row)),
      many: async (page, field, ids) =>
        manyInKeyOrder(
          ids,
          await repository.listQuotesOfParents(db, viewer, page, field, ids),
          (row) => row.parent_id,
        ).map((rows) => rows.map(({ parent_id: _parentId, ...quote }) => typed('Quote', quote))),
    }),
    { cacheKeyFn: (page) => JSON.stringify(page) },
  );
  const quoteCount = new DataLoader<repository.QuoteListFilter, number, string>(
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
    { cacheKeyFn: (filter) => JSON.stringify(filter) },
  );
  return { quoteById, quotesByArticle, quotePage, quoteCount };
}

/** The first parent speaker a filter names, and the filter without it. */
function parentOf(
  filter: repository.QuoteListFilter,
): KeyParent<repository.QuoteListFilter, repository.QuoteParentField> | undefined {
  const field = repository.QUOTE_PARENT_FIELDS.find((name) => filter[name] !== undefined);
  if (field === undefined) return undefined;
  const { [field]: id, ...rest } = filter;
  return { field, id: id!, rest };
}
