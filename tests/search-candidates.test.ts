import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArticleDocument } from '../src/ingest/article-document.ts';
import { ingestArticle } from '../src/ingest/ingest-article.ts';
import { listPeople, type MatchedPersonRow } from '../src/modules/people/index.ts';
import { listQuotes } from '../src/modules/quotes/index.ts';
import { countSearchMatches, searchArticles, type SearchPageQuery } from '../src/modules/search/index.ts';
import { anonymousViewer } from '../src/shared/viewer.ts';
import { engines, type TestDatabase } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';

/**
 * Relevance ranks a bounded set of candidates (the newest matches), and the answers are a function
 * of the data alone: the same on PGlite and Postgres, whatever plan each engine picks.
 */

const day = (n: number) => new Date(Date.UTC(2024, 0, 1) + n * 86_400_000).toISOString();
const paragraph = (text: string) => ({ type: 'paragraph' as const, text });
const AS_OF = new Date(Date.UTC(2025, 0, 1));

const WORDS = 'budget harbour council tariff ferry drought senate reform'.split(' ');

/** Invented stories quoting invented people: a small archive with common and rare words. */
function archive(): ArticleDocument[] {
  const documents: ArticleDocument[] = [];
  for (let n = 0; n < 60; n += 1) {
    const words = WORDS.filter((_, w) => (n + w) % 3 !== 0);
    documents.push(
      makeArticle({
        slug: `archive-${n}`,
        headline: n % 10 === 0 ? `Budget ${words[1]} talks` : `${words[0]} ${words[2]} notes`,
        standfirst: n % 4 === 0 ? `The ${words[3]} ${words[4]} question.` : undefined,
        publishedAt: day(n * 5),
        tags: [],
        authors: [],
        organizations: [],
        people: [{ slug: `quill-${n % 5}`, name: `Orla Quill${n % 5}` }],
        quotes: [
          { key: 'q', text: `The ${words.join(' ')} plan stands.`, speaker: { person: `quill-${n % 5}` } },
        ],
        relatedLinks: [],
        body: [
          paragraph(`${words.join(' ')} ${n % 7 === 0 ? 'zeppelin' : ''} budget council report.`),
          { type: 'quote', quote: 'q' },
        ],
      }),
    );
  }
  // Ranking: a headline match against a body mention, and the same text a year apart.
  documents.push(
    makeArticle({
      slug: 'kestrel-headline',
      headline: 'Kestrel count rises',
      standfirst: undefined,
      publishedAt: day(10),
      tags: [],
      people: [],
      authors: [],
      organizations: [],
      quotes: [],
      relatedLinks: [],
      body: [paragraph('Volunteers walked the moor.')],
    }),
  );
  for (const [slug, at] of [
    ['kestrel-body-old', day(300)],
    ['kestrel-body-new', day(320)],
  ] as const) {
    documents.push(
      makeArticle({
        slug,
        headline: 'Notes from the moor',
        standfirst: undefined,
        publishedAt: at,
        tags: [],
        people: [],
        authors: [],
        organizations: [],
        quotes: [],
        relatedLinks: [],
        body: [paragraph('A kestrel was seen above the moor.')],
      }),
    );
  }
  // The newest quotes of all belong to drafts: a reader's quote search must walk past them.
  for (let n = 0; n < 3; n += 1) {
    documents.push(
      makeArticle({
        slug: `draft-${n}`,
        status: 'draft',
        publishedAt: undefined,
        headline: 'Harbour draft',
        standfirst: undefined,
        tags: [],
        people: [{ slug: 'quill-0', name: 'Orla Quill0' }],
        authors: [],
        organizations: [],
        quotes: [{ key: 'q', text: 'The harbour budget draft stands.', speaker: { person: 'quill-0' } }],
        relatedLinks: [],
        body: [paragraph('Harbour notes.'), { type: 'quote', quote: 'q' }],
      }),
    );
  }
  return documents;
}

// The kinds of query: a common word, a person's full name, a phrase, a rare word, a
// misspelling, an exclusion; and NEWEST order.
const QUERIES = [
  'budget',
  'Orla Quill2',
  '"harbour council"',
  'zeppelin',
  'budgte',
  'budget -tariff',
  'kestrel',
];

/** A quote search row's rank and highlighted text (rows of a text search carry `search`). */
function searchOf(row: object): { rank: number; text: string } {
  if (!('search' in row)) throw new Error(`expected a quote search row, got ${JSON.stringify(row)}`);
  return row.search as { rank: number; text: string };
}

const page = (text: string, order: SearchPageQuery['order'] = 'relevance', limit = 10): SearchPageQuery => ({
  text,
  filter: {},
  order,
  limit,
  asOf: AS_OF,
  after: undefined,
});

describe('search candidates', () => {
  const opened: { name: string; database: TestDatabase; slugs: Map<number, string> }[] = [];

  beforeAll(async () => {
    for (const engine of engines) {
      const database = await engine.open();
      for (const document of archive()) await ingestArticle(database.handle.db, document);
      const rows = await database.handle.db.selectFrom('articles').select(['id', 'slug']).execute();
      opened.push({ name: engine.name, database, slugs: new Map(rows.map((row) => [row.id, row.slug])) });
    }
  }, 180_000);
  afterAll(async () => {
    for (const { database } of opened) await database.drop();
  });

  /** What a search answers on one engine, with ids as slugs (ids are the same, but say so). */
  async function answer(index: number, query: SearchPageQuery, candidates?: number) {
    const { database, slugs } = opened[index]!;
    const rows = await searchArticles(database.handle.db, anonymousViewer, query, candidates);
    return rows.map((row) => ({ ...row, slug: slugs.get(row.id) }));
  }

  it('ranks a headline match over body mentions, and the newer of two equal texts first', async () => {
    const rows = await answer(0, page('kestrel'));
    expect(rows.map((row) => row.slug)).toEqual(['kestrel-headline', 'kestrel-body-new', 'kestrel-body-old']);
    // Recency breaks the near-tie, and only mildly.
    expect(rows[1]!.score / rows[2]!.score).toBeGreaterThan(1);
    expect(rows[1]!.score / rows[2]!.score).toBeLessThan(1.3);
  });

  it('ranks only the newest matches: the oldest, a headline match, falls outside a bound of 2', async () => {
    const bounded = await answer(0, page('kestrel'), 2);
    expect(bounded.map((row) => row.slug)).toEqual(['kestrel-body-new', 'kestrel-body-old']);
    const wide = await answer(0, page('kestrel'), 3);
    expect(wide.map((row) => row.slug)).toEqual(['kestrel-headline', 'kestrel-body-new', 'kestrel-body-old']);
  });

  it('ranks the newest candidates of a common word, best first among them', async () => {
    const rows = await answer(0, page('budget', 'relevance', 100), 20);
    expect(rows).toHaveLength(20);
    const newest = await answer(0, page('budget', 'newest', 20));
    expect(new Set(rows.map((row) => row.id))).toEqual(new Set(newest.slice(0, 20).map((row) => row.id)));
    const scores = rows.map((row) => row.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('counts exactly up to the bound and flags an estimate past it', async () => {
    const db = opened[0]!.database.handle.db;
    expect(await countSearchMatches(db, anonymousViewer, 'zeppelin', {})).toEqual({
      count: 9,
      estimate: false,
    });
    const capped = await countSearchMatches(db, anonymousViewer, 'budget', {}, 10);
    expect(capped.estimate).toBe(true);
    expect(capped.count).toBeGreaterThan(10);
  });

  for (const query of QUERIES) {
    it(`answers ${JSON.stringify(query)} the same on every engine`, async () => {
      if (opened.length < 2) return; // one engine only: nothing to compare with
      for (const order of ['relevance', 'newest'] as const) {
        const [first, second] = await Promise.all([
          answer(0, page(query, order)),
          answer(1, page(query, order)),
        ]);
        expect(first.length, `${query} (${order}) found nothing`).toBeGreaterThan(
          query === 'budgte' ? -1 : 0,
        );
        expect(
          second.map(({ id, slug, headline_html, body_html }) => ({ id, slug, headline_html, body_html })),
        ).toEqual(
          first.map(({ id, slug, headline_html, body_html }) => ({ id, slug, headline_html, body_html })),
        );
        // Scores are float8 from the same functions: equal to the last few bits.
        second.forEach((row, i) => expect(row.score).toBeCloseTo(first[i]!.score, 9));
      }
    });
  }

  it('ranks the newest quotes of visible articles only, skipping the newer drafts', async () => {
    const { database } = opened[0]!;
    const drafts = await database.handle.db
      .selectFrom('quotes')
      .innerJoin('articles', 'articles.id', 'quotes.article_id')
      .select('quotes.id')
      .where('articles.status', '=', 'draft')
      .execute();
    expect(drafts).toHaveLength(3);
    const rows = await listQuotes(database.handle.db, anonymousViewer, {
      filter: { text: 'harbour' },
      limit: 100,
      after: undefined,
    });
    expect(rows.length).toBeGreaterThan(10);
    const draftIds = new Set(drafts.map((row) => row.id));
    expect(rows.filter((row) => draftIds.has(row.id))).toEqual([]);
    const ranks = rows.map((row) => searchOf(row).rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
  });

  it('answers a quote search and a name lookup the same on every engine', async () => {
    if (opened.length < 2) return;
    for (const text of ['harbour', 'budget', '"harbour council"', 'harbour -tariff', 'budgte']) {
      const quotes = await Promise.all(
        opened.map(({ database }) =>
          listQuotes(database.handle.db, anonymousViewer, { filter: { text }, limit: 10, after: undefined }),
        ),
      );
      if (text !== 'budgte') expect(quotes[0]!.length, text).toBe(11); // the page and one more
      expect(
        quotes[1]!.map((quote) => [quote.id, searchOf(quote).text]),
        text,
      ).toEqual(quotes[0]!.map((quote) => [quote.id, searchOf(quote).text]));
      quotes[1]!.forEach((quote, i) =>
        expect(searchOf(quote).rank).toBeCloseTo(searchOf(quotes[0]![i]!).rank, 9),
      );
    }
    for (const query of ['orla', 'Orla Quill3', 'Olra Quill3']) {
      const people = (await Promise.all(
        opened.map(({ database }) =>
          listPeople(database.handle.db, anonymousViewer, { query, limit: 10, after: undefined }),
        ),
      )) as MatchedPersonRow[][];
      expect(people[0]!.length, query).toBeGreaterThan(0);
      expect(people[1]!.map((p) => [p.slug, p.tier, p.appearances])).toEqual(
        people[0]!.map((p) => [p.slug, p.tier, p.appearances]),
      );
    }
  });
});
