import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { validateArticleDocument, type ArticleDocument } from '../../src/ingest/article-document.ts';
import { ingestArticle } from '../../src/ingest/ingest-article.ts';
import { CARD_SCRIPT } from '../../src/modules/embeds/index.ts';
import { createPartner, type PartnerInput } from '../../src/modules/partners/index.ts';
import { toGlobalId } from '../../src/shared/global-id.ts';
import { makeArticle } from './fixtures.ts';

/** Validates and ingests documents as `byline ingest` would; returns their article ids by slug. */
export async function ingestDocuments(
  db: Kysely<Database>,
  documents: readonly ArticleDocument[],
): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const document of documents) {
    const result = validateArticleDocument(document);
    if (!result.ok)
      throw new Error(`fixture ${document.slug} is invalid: ${JSON.stringify(result.problems)}`);
    ids.set(document.slug, (await ingestArticle(db, result.document)).articleId);
  }
  return ids;
}

/** A partner and its key in clear, as `byline partner create` prints it. */
export async function makePartner(
  db: Kysely<Database>,
  input: Partial<PartnerInput> = {},
): Promise<{ id: number; key: string }> {
  const { partner, key } = await createPartner(db, {
    name: input.name ?? `partner-${Math.random().toString(36).slice(2, 10)}`,
    ...input,
  });
  return { id: partner.id, key };
}

/** Global ID of the quote with this ordinal (0-based, body order) in an article. */
export async function quoteGlobalId(db: Kysely<Database>, articleId: number, ordinal = 0): Promise<string> {
  const row = await db
    .selectFrom('quotes')
    .select('id')
    .where('article_id', '=', articleId)
    .orderBy('ordinal')
    .offset(ordinal)
    .limit(1)
    .executeTakeFirstOrThrow();
  return toGlobalId('Quote', row.id);
}

/** The href of the first `<link rel="alternate" type="…">` in a page, entities decoded. */
export function discoveryHref(html: string, type = 'application/json+oembed'): string | undefined {
  const tag = new RegExp(`<link rel="alternate" type="${type.replace(/\+/g, '\\+')}" href="([^"]*)"`).exec(
    html,
  );
  return tag?.[1]?.replace(/&amp;/g, '&');
}

/** Content written to break out of every context it lands in. */
export const hostile = makeArticle({
  slug: 'hostile-content',
  headline: `</title><script>window.__pwned='headline'</script>"><img src=x onerror="window.__pwned='img'">`,
  standfirst: `<!-- "quoted' & <script>window.__pwned='standfirst'</script> </script>`,
  section: { slug: 'hostile', name: '<b onmouseover="window.__pwned=1">Section</b>' },
  authors: [{ slug: 'eve-writer', name: 'Eve "><script>window.__pwned=2</script>' }],
  people: [{ slug: 'mallory', name: 'Mallory', role: `' onfocus='window.__pwned=3' autofocus '` }],
  organizations: [],
  quotes: [
    {
      key: 'q1',
      text: `"onmouseover="window.__pwned=4" </blockquote><script>window.__pwned=5</script>`,
      speaker: { person: 'mallory' },
      context: 'javascript:window.__pwned=6',
    },
  ],
  relatedLinks: [],
  leadImage: {
    url: 'https://media.example/x.jpg?a="onerror="window.__pwned=7',
    credit: '<script>window.__pwned=8</script>',
    width: 800,
    height: 450,
  },
  body: [{ type: 'paragraph', text: '<script>window.__pwned=9</script>', quotes: ['q1'] }],
});

interface Tag {
  readonly name: string;
  readonly attributes: readonly (readonly [string, string])[];
}

/**
 * Every tag of a page, read the way an HTML tokenizer would for our markup. Throws when a `<` starts
 * neither a tag, an end tag nor the doctype: content that was not escaped.
 */
export function tagsOf(html: string): Tag[] {
  const stripped = html
    .replace(/(<script type="application\/ld\+json">)[\s\S]*?(<\/script>)/g, '$1$2')
    .replace(/(<style>)[\s\S]*?(<\/style>)/g, '$1$2');
  const tag =
    /^<([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s"'=<>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*\/?>/;
  const attribute = /\s+([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  const tags: Tag[] = [];
  for (let at = stripped.indexOf('<'); at !== -1; at = stripped.indexOf('<', at + 1)) {
    const rest = stripped.slice(at);
    if (/^<\/[a-zA-Z][a-zA-Z0-9]*>/.test(rest) || /^<!doctype html>/i.test(rest)) continue;
    const match = tag.exec(rest);
    if (!match) throw new Error(`unescaped "<" at ${at}: ${rest.slice(0, 60)}`);
    const attributes = [...match[2]!.matchAll(attribute)].map(
      (m) => [m[1]!.toLowerCase(), decode(m[2] ?? m[3] ?? m[4] ?? '')] as const,
    );
    tags.push({ name: match[1]!.toLowerCase(), attributes });
  }
  return tags;
}

function decode(value: string): string {
  return value.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

/**
 * Hostile content stayed text: no script but the JSON-LD block (and, on a card, the fixed height
 * script), no handler, no non-http URL.
 */
export function assertInert(html: string): void {
  const tags = tagsOf(html);
  const scripts = tags.filter((tag) => tag.name === 'script');
  const card = html.includes(`<script>${CARD_SCRIPT}</script>`);
  expect(scripts).toEqual([
    { name: 'script', attributes: [['type', 'application/ld+json']] },
    ...(card ? [{ name: 'script', attributes: [] }] : []),
  ]);
  expect(
    tags
      .map((tag) => tag.name)
      .filter((name) => ['iframe', 'object', 'embed', 'svg', 'b', 'base', 'form'].includes(name)),
  ).toEqual([]);
  for (const { name, attributes } of tags) {
    for (const [attribute, value] of attributes) {
      expect(attribute, `<${name} ${attribute}>`).not.toMatch(/^on/);
      if (['href', 'src', 'cite', 'action'].includes(attribute) && value !== '') {
        expect(value, `<${name} ${attribute}>`).toMatch(/^https?:\/\//);
      }
    }
  }
  const jsonLd = /<script type="application\/ld\+json">([\s\S]*?)<\/script>/.exec(html)![1]!;
  expect(jsonLd).not.toMatch(/[<>]/);
}

/** A JSON body as the loosely typed value tests assert on. */
export const untyped = (value: unknown): any => value;
