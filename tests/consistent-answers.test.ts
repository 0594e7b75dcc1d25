import { expect, it } from 'vitest';
import type { ArticleDocument } from '../src/ingest/article-document.ts';
import { ingestArticle } from '../src/ingest/ingest-article.ts';
import { describeEachEngine } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { useGateway } from './helpers/use-gateway.ts';

/**
 * One answer reflects one committed state: while an article is re-ingested alternately as version A
 * and version B, every answer about it — GraphQL and the HTML page — is wholly A or wholly B, never
 * A's headline with B's quotes.
 */

const SLUG = 'consistent-answer';
const QUOTES = 8;
const TAGS = 4;
const LINKS = 4;
const INGESTS = 40;
const READERS = 4;

function version(v: 'A' | 'B'): ArticleDocument {
  const quotes = Array.from({ length: QUOTES }, (_, n) => ({
    key: `q${n}`,
    text: `Version ${v} quote ${n}.`,
    speaker: { person: 'sam-source' },
  }));
  const relatedLinks = Array.from({ length: LINKS }, (_, n) => ({
    key: `l${n}`,
    title: `Version ${v} link ${n}`,
    url: `https://example.org/${v}/${n}`,
  }));
  return makeArticle({
    slug: SLUG,
    headline: `Version ${v} headline`,
    standfirst: `Version ${v} standfirst.`,
    publishedAt: '2024-05-01T10:00:00.000Z',
    section: { slug: `version-${v.toLowerCase()}-section`, name: `Version ${v} section` },
    tags: Array.from({ length: TAGS }, (_, n) => ({
      slug: `version-${v.toLowerCase()}-tag-${n}`,
      name: `Version ${v} tag ${n}`,
    })),
    quotes,
    relatedLinks,
    body: [
      ...quotes.map((quote) => ({
        type: 'paragraph' as const,
        text: `“${quote.text}”`,
        quotes: [quote.key],
      })),
      ...relatedLinks.map((link) => ({ type: 'relatedLink' as const, link: link.key })),
    ],
  });
}

const QUERY = `query ($slug: String!) {
  article(slug: $slug) {
    headline standfirst
    section { slug name }
    tags { slug name }
    quotes { text }
    relatedLinks { title }
  }
}`;

/** The versions an answer's text names ("Version A", "version-b-…"). */
function versionsIn(text: string): string[] {
  return [...new Set([...text.matchAll(/version[ -]([ab])\b/gi)].map((match) => match[1]!.toUpperCase()))];
}

describeEachEngine('one answer per committed state', (engine) => {
  const gateway = useGateway(engine, {
    seed: async ({ handle }) => {
      await ingestArticle(handle.db, version('A'));
    },
    env: { BYLINE_RATE_LIMIT_PER_MINUTE: '0' },
  });

  it('answers wholly one version of an article while it is re-ingested', async () => {
    let writing = true;
    const mixed: string[] = [];
    const seen = { A: 0, B: 0 };
    let answers = 0;

    const check = (what: string, text: string, expectedParts: number) => {
      const versions = versionsIn(text);
      answers += 1;
      if (versions.length !== 1)
        mixed.push(`${what}: ${versions.join('+') || 'none'}: ${text.slice(0, 300)}`);
      else seen[versions[0] as 'A' | 'B'] += 1;
      // The whole article came back, not a fragment that happens to name one version.
      const parts = text.match(/Version [AB] (quote|link|tag) \d/g)?.length ?? 0;
      if (parts < expectedParts)
        mixed.push(`${what}: only ${parts} of ${expectedParts} parts: ${text.slice(0, 300)}`);
    };

    const reader = async (index: number) => {
      // Bounded: stops when the writer is done, and in any case after this many requests.
      for (let request = 0; writing && request < 2000; request += 1) {
        if ((request + index) % 4 === 3) {
          const response = await fetch(`${gateway.origin}/articles/${SLUG}`, {
            signal: AbortSignal.timeout(20_000),
          });
          expect(response.status).toBe(200);
          check('HTML page', await response.text(), QUOTES);
        } else {
          const response = await gateway.graphql(QUERY, { variables: { slug: SLUG } });
          expect(response.status).toBe(200);
          expect(response.body.errors).toBeUndefined();
          check('GraphQL', JSON.stringify(response.body.data), QUOTES + TAGS + LINKS);
        }
      }
    };

    const writer = async () => {
      try {
        for (let n = 1; n <= INGESTS; n += 1) {
          const outcome = await ingestArticle(gateway.db, version(n % 2 === 1 ? 'B' : 'A'));
          expect(outcome.outcome).toBe('updated');
          // Let the readers in between two ingests, as unrelated writes would.
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      } finally {
        writing = false;
      }
    };

    await Promise.all([writer(), ...Array.from({ length: READERS }, (_, index) => reader(index))]);

    expect(mixed.slice(0, 5)).toEqual([]);
    expect(answers).toBeGreaterThanOrEqual(READERS * 4);
    // Both versions were read: the loop did run across the re-ingests.
    expect(seen.A).toBeGreaterThan(0);
    expect(seen.B).toBeGreaterThan(0);
  }, 120_000);
});
