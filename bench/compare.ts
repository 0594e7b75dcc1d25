/**
 * Before any load, the runner checks that every server answers each scenario with the same content.
 * The SQL floor returns Byline's exact JSON, so it must be deep-equal. PostGraphile answers in its own
 * shape (connections of join rows, stored body JSON, no visibility rule): `normalizePeer` maps it onto
 * Byline's shape and applies Byline's visibility rule, and `projectForPeer` drops from Byline's answer
 * what PostGraphile cannot express (images resolved inside body blocks).
 */
import { isDeepStrictEqual } from 'node:util';

export type Scenario =
  'article-page' | 'section-front' | 'person-page' | 'person-median' | 'person-top' | 'trivial' | 'search';

/** The operation a scenario sends: the person page of a median and of the most quoted person are the person page. */
export function operationOf(scenario: Scenario): Exclude<Scenario, 'person-median' | 'person-top'> {
  return scenario === 'person-median' || scenario === 'person-top' ? 'person-page' : scenario;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const iso = (value: string | null) => (value === null ? null : new Date(value).toISOString());
const isVisible = (article: Row | null, now: number) =>
  article !== null && article['status'] === 'published' && Date.parse(article['publishedAt']) <= now;
const nodes = (connection: Row | null): Row[] => (connection?.['nodes'] as Row[] | undefined) ?? [];

/** PostGraphile's `data` in the shape Byline answers, with Byline's visibility rule applied. */
export function normalizePeer(scenario: Scenario, data: Row, publicUrl: string, now = Date.now()): Json {
  const canonical = (article: Row) =>
    (article['url'] as string | null) ?? `${publicUrl}/articles/${article['slug']}`;
  switch (operationOf(scenario)) {
    case 'trivial':
      return data as Json;
    case 'article-page': {
      const a = data['article'] as Row | null;
      if (!a || !isVisible(a, now)) return { article: null };
      const quotes = nodes(a['quotes']);
      const links = nodes(a['relatedLinks']).map((link) => ({
        title: link['title'],
        url: link['url'] ?? `${publicUrl}/articles/${link['targetSlug']}`,
        label: link['label'],
        image: link['image'],
        target: isVisible(link['target'], now)
          ? { slug: link['target'].slug, headline: link['target'].headline }
          : null,
      }));
      return {
        article: {
          slug: a['slug'],
          url: canonical(a),
          headline: a['headline'],
          standfirst: a['standfirst'],
          publishedAt: iso(a['publishedAt']),
          updatedAt: iso(a['updatedAt']),
          language: a['language'],
          wordCount: a['wordCount'],
          section: a['section'],
          tags: nodes(a['tags']).map((row) => row['tag']),
          leadImage: a['leadImage'],
          authors: nodes(a['authors']).map((row) => row['person']),
          quotes: quotes.map((quote) => ({
            text: quote['text'],
            context: quote['context'],
            position: quote['blockPosition'],
            speakerName: quote['speakerName'],
            speaker: quote['person']
              ? { __typename: 'Person', ...quote['person'] }
              : quote['organization']
                ? { __typename: 'Organization', ...quote['organization'] }
                : null,
          })),
          relatedLinks: links,
          body: (a['body'] as Row[]).map((block) => {
            switch (block['type']) {
              case 'paragraph':
                return { __typename: 'ParagraphBlock', text: block['text'] };
              case 'heading':
                return { __typename: 'HeadingBlock', text: block['text'], level: block['level'] };
              case 'quote': {
                const quote = quotes[block['quote'] as number]!;
                return {
                  __typename: 'QuoteBlock',
                  quote: { text: quote['text'], speakerName: quote['speakerName'] },
                };
              }
              case 'image':
                return { __typename: 'ImageBlock' };
              default: {
                const link = links[block['link'] as number]!;
                return { __typename: 'RelatedLinkBlock', link: { title: link.title, url: link.url } };
              }
            }
          }),
        },
      } as Json;
    }
    case 'section-front': {
      const s = data['section'] as Row | null;
      if (!s) return { section: null };
      return {
        section: {
          slug: s['slug'],
          name: s['name'],
          articles: {
            nodes: nodes(s['articles']).map((a) => ({
              slug: a['slug'],
              url: canonical(a),
              headline: a['headline'],
              standfirst: a['standfirst'],
              publishedAt: iso(a['publishedAt']),
              section: a['section'],
              leadImage: a['leadImage'],
              authors: nodes(a['authors']).map((row) => row['person']),
              quotes: nodes(a['quotes']),
            })),
          },
        },
      } as Json;
    }
    case 'person-page': {
      const p = data['person'] as Row | null;
      if (!p) return { person: null };
      return {
        person: {
          slug: p['slug'],
          name: p['name'],
          honorific: p['honorific'],
          description: p['description'],
          quotes: {
            nodes: nodes(p['quotes'])
              .filter((quote) => quote['article'].status === 'published')
              .map((quote) => ({
                text: quote['text'],
                context: quote['context'],
                article: { slug: quote['article'].slug, headline: quote['article'].headline },
              })),
          },
          mentionedIn: {
            nodes: nodes(p['mentionedIn'])
              .map((row) => row['article'] as Row)
              .filter((article) => article['status'] === 'published')
              .map((article) => ({
                slug: article['slug'],
                headline: article['headline'],
                publishedAt: iso(article['publishedAt']),
              })),
          },
        },
      } as Json;
    }
    case 'search':
      return {
        search: {
          edges: nodes(data['search']).map((article) => ({
            highlights: { headline: article['headlineHighlight'], body: article['bodyHighlight'] },
            node: {
              slug: article['slug'],
              headline: article['headline'],
              publishedAt: iso(article['publishedAt']),
            },
          })),
        },
      } as Json;
  }
}

/** Byline's `data` without what PostGraphile cannot express; lists cut to the peer's length where it drops drafts. */
export function projectForPeer(scenario: Scenario, data: Row, peer: Json): Json {
  const copy = structuredClone(data);
  if (scenario === 'article-page' && copy['article']) {
    copy['article'].body = (copy['article'].body as Row[]).map((block) =>
      block['__typename'] === 'ImageBlock' ? { __typename: 'ImageBlock' } : block,
    );
  }
  if (operationOf(scenario) === 'person-page' && copy['person']) {
    const peerPerson = (peer as Row)['person'] as Row | null;
    for (const list of ['quotes', 'mentionedIn'] as const) {
      const length = nodes(peerPerson?.[list]).length;
      copy['person'][list].nodes = nodes(copy['person'][list]).slice(0, length);
    }
  }
  return copy as Json;
}

/** The first place two JSON values differ, as a path with both values; undefined when equal. */
export function firstDifference(expected: unknown, actual: unknown, path = '$'): string | undefined {
  if (isDeepStrictEqual(expected, actual)) return undefined;
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length)
      return `${path}: expected ${expected.length} items, got ${actual.length}`;
    for (const [index, item] of expected.entries()) {
      const found = firstDifference(item, actual[index], `${path}[${index}]`);
      if (found) return found;
    }
  }
  if (
    expected &&
    actual &&
    typeof expected === 'object' &&
    typeof actual === 'object' &&
    !Array.isArray(expected)
  ) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const key of keys) {
      const found = firstDifference((expected as Row)[key], (actual as Row)[key], `${path}.${key}`);
      if (found) return found;
    }
  }
  const show = (value: unknown) => JSON.stringify(value)?.slice(0, 200) ?? 'undefined';
  return `${path}: expected ${show(expected)}, got ${show(actual)}`;
}
