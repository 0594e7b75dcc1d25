import { describe, expect, it } from 'vitest';
import { firstDifference, normalizePeer, projectForPeer } from '../bench/compare.ts';

const PUBLIC = 'https://bench.test';
const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('normalizePeer (PostGraphile answers in Byline’s shape)', () => {
  it('hides a draft or embargoed article as Byline does', () => {
    const article = { slug: 'a', status: 'draft', publishedAt: null };
    expect(normalizePeer('article-page', { article }, PUBLIC, NOW)).toEqual({ article: null });
    const embargoed = { slug: 'a', status: 'published', publishedAt: '2030-01-01T00:00:00+00:00' };
    expect(normalizePeer('article-page', { article: embargoed }, PUBLIC, NOW)).toEqual({ article: null });
  });

  it('builds canonical URLs, ISO dates and drops invisible link targets', () => {
    const data = {
      article: {
        slug: 'a',
        url: null,
        status: 'published',
        publishedAt: '2025-01-01T10:00:00+00:00',
        updatedAt: '2025-01-01T10:00:00+00:00',
        tags: { nodes: [{ tag: { slug: 't', name: 'T' } }] },
        authors: { nodes: [] },
        quotes: { nodes: [] },
        relatedLinks: {
          nodes: [
            {
              title: 'L',
              url: null,
              targetSlug: 'b',
              label: null,
              image: null,
              target: { slug: 'b', headline: 'B', status: 'draft', publishedAt: null },
            },
          ],
        },
        body: [{ type: 'relatedLink', link: 0 }],
      },
    };
    const article = (normalizePeer('article-page', data, PUBLIC, NOW) as { article: Record<string, unknown> })
      .article;
    expect(article['url']).toBe('https://bench.test/articles/a');
    expect(article['publishedAt']).toBe('2025-01-01T10:00:00.000Z');
    expect(article['tags']).toEqual([{ slug: 't', name: 'T' }]);
    expect(article['relatedLinks']).toEqual([
      { title: 'L', url: 'https://bench.test/articles/b', label: null, image: null, target: null },
    ]);
    expect(article['body']).toEqual([
      { __typename: 'RelatedLinkBlock', link: { title: 'L', url: 'https://bench.test/articles/b' } },
    ]);
  });

  it('drops quotes from drafts on a person page, and Byline’s list is cut to the same length', () => {
    const peer = normalizePeer(
      'person-page',
      {
        person: {
          slug: 'p',
          name: 'P',
          honorific: null,
          description: null,
          quotes: {
            nodes: [{ text: 'x', context: null, article: { slug: 'a', headline: 'A', status: 'draft' } }],
          },
          mentionedIn: { nodes: [] },
        },
      },
      PUBLIC,
      NOW,
    );
    expect(peer).toMatchObject({ person: { quotes: { nodes: [] } } });
    const byline = { person: { slug: 'p', quotes: { nodes: [{ text: 'y' }] }, mentionedIn: { nodes: [] } } };
    expect(projectForPeer('person-page', byline, peer)).toEqual({
      person: { slug: 'p', quotes: { nodes: [] }, mentionedIn: { nodes: [] } },
    });
  });
});

describe('firstDifference', () => {
  it('names the first path where two answers differ', () => {
    expect(firstDifference({ a: [1, { b: 'x' }] }, { a: [1, { b: 'y' }] })).toBe(
      '$.a[1].b: expected "x", got "y"',
    );
    expect(firstDifference({ a: [1] }, { a: [1, 2] })).toBe('$.a: expected 1 items, got 2');
    expect(firstDifference({ a: 1 }, { a: 1 })).toBeUndefined();
  });
});
