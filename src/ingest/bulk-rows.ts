/**
 * The rows `ingestArticle` would write for many documents, built in memory so they can be written a
 * batch of articles per statement per table (bulk ingest and the benchmark data set's loader).
 *
 * Rows come from ingest's own code (`planArticle` and the repository's `*Values` builders). Ids are
 * drawn as ingest's inserts draw them: `insert … on conflict` takes an identity value for every row it
 * proposes, even one that already exists, so each table's counter is advanced once per proposed row,
 * in document order.
 */
import type { ArticleDocument } from './article-document.ts';
import { planArticle, type ArticlePlan, type NamedIds } from './ingest-article.ts';
import {
  articleLinkValues,
  articleValues,
  imageValues,
  personValues,
  quoteValues,
  relatedLinkValues,
  termValues,
} from './ingest.repository.ts';

/** Tables bulk writes, in an order that satisfies their foreign keys. */
export const CONTENT_TABLES = [
  'sections',
  'tags',
  'organizations',
  'people',
  'images',
  'articles',
  'article_tags',
  'article_authors',
  'article_mentions',
  'article_organizations',
  'quotes',
  'related_links',
  'article_search',
] as const;
export type ContentTable = (typeof CONTENT_TABLES)[number];

export const IDENTITY_TABLES = [
  'sections',
  'tags',
  'organizations',
  'people',
  'images',
  'articles',
  'quotes',
  'related_links',
] as const;
export type IdentityTable = (typeof IDENTITY_TABLES)[number];
export type TermTable = 'sections' | 'tags' | 'organizations' | 'people' | 'images';
export const TERM_TABLES: readonly TermTable[] = ['sections', 'tags', 'organizations', 'people', 'images'];

export type Row = Record<string, unknown>;

/** Tables whose rows a batch carries; `article_search` is computed in SQL. */
export type RowTable = Exclude<ContentTable, 'article_search'>;

export interface Batch {
  readonly rows: Record<RowTable, Row[]>;
  readonly articleIds: number[];
  readonly slugs: string[];
}

/** Identity draws of one table: consecutive from a start, or from values reserved beforehand. */
export class IdentityCounter {
  private next: number;
  private readonly pool: readonly number[] | undefined;
  private taken = 0;
  constructor(next: number, pool?: readonly number[]) {
    this.next = next;
    this.pool = pool;
  }
  draw(): number {
    if (this.pool) {
      const value = this.pool[this.taken++];
      if (value === undefined)
        throw new Error(`bulk rows: drew more ids than the ${this.pool.length} reserved`);
      return value;
    }
    return this.next++;
  }
  /** The sequence's `last_value` after consecutive draws, or null when nothing was drawn from `start`. */
  lastValue(start: number): number | null {
    return this.next > start ? this.next - 1 : null;
  }
}

/** The values one term row is written with, as JSON: two documents naming it must agree. */
export const termJson = (row: Row) => JSON.stringify(row);

/** A term table's rows by natural key (slug, or url for images): its id and the values written. */
export class TermRegistry {
  readonly ids = new Map<string, number>();
  private readonly written = new Map<string, string>();
  private readonly table: TermTable;
  private readonly counter: IdentityCounter;
  constructor(table: TermTable, counter: IdentityCounter) {
    this.table = table;
    this.counter = counter;
  }

  /** A row already stored: later documents use its id, and must name it with the same values. */
  known(natural: string, id: number, values: Row): void {
    this.ids.set(natural, id);
    this.written.set(natural, termJson(values));
  }

  /** Takes over the rows `other` knows as stored (not those it only saw proposed by the batch). */
  adoptStored(other: TermRegistry): void {
    for (const [natural, id] of other.ids) {
      if (id === -1) continue;
      this.ids.set(natural, id);
      this.written.set(natural, other.written.get(natural)!);
    }
  }

  /** Whether `values` would change the row stored (or built) under its key. */
  differs(values: Row, key: 'slug' | 'url'): boolean {
    const earlier = this.written.get(values[key] as string);
    return earlier !== undefined && earlier !== termJson(values);
  }

  /**
   * Registers what one ingest upsert of `values` would do: every proposed row draws an id, new keys
   * keep theirs and become rows of this batch.
   */
  upsert(values: readonly Row[], key: 'slug' | 'url', batch: Row[]): void {
    for (const row of values) {
      const id = this.counter.draw();
      const natural = row[key] as string;
      const json = termJson(row);
      const earlier = this.written.get(natural);
      if (earlier === undefined) {
        this.ids.set(natural, id);
        this.written.set(natural, json);
        batch.push({ id, ...row });
      } else if (earlier !== json) {
        throw new Error(
          `bulk load: expected ${this.table} "${natural}" to be the same in every document, got ${earlier} then ${json}`,
        );
      }
    }
  }
}

// A document's plan (its names and content hash) is needed to sort a batch, count its id draws and
// build its rows: computed once per document, as hashing the canonical JSON is not free.
const plans = new WeakMap<ArticleDocument, ArticlePlan>();

/** `planArticle(document)`, computed once per document object. */
export function plannedArticle(document: ArticleDocument): ArticlePlan {
  let plan = plans.get(document);
  if (plan === undefined) {
    plan = planArticle(document);
    plans.set(document, plan);
  }
  return plan;
}

/** The term rows a document proposes, per table, as ingest's upserts write them. */
export function proposedTerms(document: ArticleDocument): Record<TermTable, Row[]> {
  const { names } = plannedArticle(document);
  return {
    sections: names.sections.map(termValues),
    tags: names.tags.map(termValues),
    organizations: names.organizations.map(termValues),
    people: names.people.map(personValues),
    images: names.images.map(imageValues),
  };
}

export const termKey = (table: TermTable): 'slug' | 'url' => (table === 'images' ? 'url' : 'slug');

/** How many ids each table draws when ingest writes `documents` (all new) one by one. */
export function countDraws(documents: readonly ArticleDocument[]): Record<IdentityTable, number> {
  const draws = Object.fromEntries(IDENTITY_TABLES.map((table) => [table, 0])) as Record<
    IdentityTable,
    number
  >;
  for (const document of documents) {
    const terms = proposedTerms(document);
    for (const table of TERM_TABLES) draws[table] += terms[table].length;
    draws.articles += 1;
    draws.quotes += document.quotes?.length ?? 0;
    draws.related_links += document.relatedLinks?.length ?? 0;
  }
  return draws;
}

/** Turns documents into batches of rows, keeping the identity counters ingest's inserts would advance. */
export class BulkRowBuilder {
  readonly terms: Record<TermTable, TermRegistry>;
  private readonly slugs = new Set<string>();
  private readonly ids: NamedIds;
  readonly counters: Record<IdentityTable, IdentityCounter>;

  constructor(counters: Record<IdentityTable, IdentityCounter>) {
    this.counters = counters;
    this.terms = {
      sections: new TermRegistry('sections', counters.sections),
      tags: new TermRegistry('tags', counters.tags),
      organizations: new TermRegistry('organizations', counters.organizations),
      people: new TermRegistry('people', counters.people),
      images: new TermRegistry('images', counters.images),
    };
    this.ids = {
      sections: this.terms.sections.ids,
      tags: this.terms.tags.ids,
      organizations: this.terms.organizations.ids,
      people: this.terms.people.ids,
      images: this.terms.images.ids,
    };
  }

  build(documents: readonly ArticleDocument[]): Batch {
    const rows = Object.fromEntries(
      CONTENT_TABLES.filter((table) => table !== 'article_search').map((table) => [table, []]),
    ) as unknown as Record<RowTable, Row[]>;
    const articleIds: number[] = [];
    const slugs: string[] = [];
    for (const document of documents) {
      if (this.slugs.has(document.slug)) {
        throw new Error(`bulk load: expected each article slug once, got "${document.slug}" again`);
      }
      this.slugs.add(document.slug);
      slugs.push(document.slug);
      const plan = plannedArticle(document);
      // The order of ingestArticle's upserts, so every table draws its ids in ingest's order.
      this.terms.sections.upsert(plan.names.sections.map(termValues), 'slug', rows.sections);
      this.terms.tags.upsert(plan.names.tags.map(termValues), 'slug', rows.tags);
      this.terms.organizations.upsert(plan.names.organizations.map(termValues), 'slug', rows.organizations);
      this.terms.people.upsert(plan.names.people.map(personValues), 'slug', rows.people);
      this.terms.images.upsert(plan.names.images.map(imageValues), 'url', rows.images);
      const built = plan.rows(this.ids);
      const articleId = this.counters.articles.draw();
      articleIds.push(articleId);
      // The stored JSON itself, not ingest's string of it: in a JSON record a string stays a string.
      rows.articles.push({ id: articleId, ...articleValues(built.article), body: built.article.body });
      const links = articleLinkValues(articleId, built.links);
      rows.article_tags.push(...links.article_tags);
      rows.article_authors.push(...links.article_authors);
      rows.article_mentions.push(...links.article_mentions);
      rows.article_organizations.push(...links.article_organizations);
      for (const quote of quoteValues(articleId, built.quotes)) {
        rows.quotes.push({ id: this.counters.quotes.draw(), ...quote });
      }
      for (const link of relatedLinkValues(articleId, built.relatedLinks)) {
        rows.related_links.push({ id: this.counters.related_links.draw(), ...link });
      }
    }
    return { rows, articleIds, slugs };
  }
}
