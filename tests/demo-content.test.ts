import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateArticleDocument, type ArticleDocument } from '../src/ingest/article-document.ts';
import { engines } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { TEST_PUBLIC_URL } from './helpers/gateway.ts';
import { useGateway } from './helpers/use-gateway.ts';
import { previewViewer, viewersByHeader } from './helpers/viewers.ts';

const DEMO_DIR = fileURLToPath(new URL('../content/demo/', import.meta.url));
const REFERENCE = 'russia-north-korea-pact-major-loss-for-us-allies';

/**
 * The real record: how many quotes each speaker of the reference article has in the page it reproduces
 * (a split quote is one quote). Everyone else it names is quoted nowhere in it.
 */
const REAL_RECORD: Record<string, number> = {
  'gerald-horne': 5,
  'wilmer-leon': 1,
  'vladimir-putin': 0,
  'donald-trump': 0,
  'kim-jong-un': 0,
  'south-korean-foreign-ministry': 1,
};

/** Case, accents, punctuation and a leading honorific folded away, so "Dr. Gérald Horne" is "gerald horne". */
function fold(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .replace(/^(dr|prof|mr|mrs|ms|sir) /, '');
}

/** A quote's pieces as the page prints them: split at sentence ends, closing punctuation dropped. */
function pieces(text: string): string[] {
  return text
    .split(/(?<=[.?!])\s+/)
    .map((piece) => piece.replace(/[.,]$/, ''))
    .filter(Boolean);
}

/** The pieces appear in this paragraph, in order, each word for word. */
function containsInOrder(paragraph: string, parts: readonly string[]): boolean {
  let from = 0;
  for (const part of parts) {
    const at = paragraph.indexOf(part, from);
    if (at < 0) return false;
    from = at + part.length;
  }
  return true;
}

/** A person, author or organization as a file lists it. */
interface Named {
  readonly slug: string;
  readonly name: string;
  readonly description?: string | undefined;
  readonly aliases?: readonly string[] | undefined;
}

interface Attributed {
  readonly article: string;
  readonly key: string;
  readonly text: string;
  /** The reference article's person or organization this quote is attributed to, if any. */
  readonly real: string | null;
  /** The description of the speaker as this file gives it (none for a name-only speaker). */
  readonly description: string | null;
}

describe('the demo content', () => {
  let documents: ArticleDocument[];
  let reference: ArticleDocument;
  let attributed: Attributed[];

  beforeAll(async () => {
    const files = (await readdir(DEMO_DIR)).filter((file) => file.endsWith('.json')).sort();
    documents = [];
    for (const file of files) {
      const result = validateArticleDocument(JSON.parse(await readFile(path.join(DEMO_DIR, file), 'utf8')));
      if (!result.ok) throw new Error(`${file}: ${JSON.stringify(result.problems)}`);
      documents.push(result.document);
    }
    reference = documents.find((doc) => doc.slug === REFERENCE)!;

    // Everyone the reference article names, by slug and by every folded name and alias.
    const realBySlug = new Map<string, string>();
    const realByName = new Map<string, string>();
    const named: Named[] = [...(reference.people ?? []), ...(reference.organizations ?? [])];
    for (const entry of named) {
      realBySlug.set(entry.slug, entry.slug);
      for (const name of [entry.name, ...(entry.aliases ?? [])]) realByName.set(fold(name), entry.slug);
    }
    const realNamed = (name: string) => {
      const folded = ` ${fold(name)} `;
      for (const [realName, slug] of realByName) if (folded.includes(` ${realName} `)) return slug;
      return null;
    };
    // A speaker given only as written ("Horne", "Dr. Leon") may carry a surname alone.
    const realBySurname = new Map(
      (reference.people ?? [])
        .map((person) => [fold(person.name).split(' ').at(-1)!, person.slug] as const)
        .filter(([surname]) => surname.length >= 4),
    );
    const realWritten = (name: string) => {
      const words = fold(name).split(' ');
      return realNamed(name) ?? words.map((word) => realBySurname.get(word)).find(Boolean) ?? null;
    };

    attributed = documents.flatMap((doc) => {
      const entries = new Map<string, Named>(
        [...(doc.authors ?? []), ...(doc.people ?? []), ...(doc.organizations ?? [])].map((entry) => [
          entry.slug,
          entry,
        ]),
      );
      return (doc.quotes ?? []).map((quote): Attributed => {
        const speaker = quote.speaker;
        if ('name' in speaker) {
          return {
            article: doc.slug,
            key: quote.key,
            text: quote.text,
            real: realWritten(speaker.name),
            description: null,
          };
        }
        const slug = 'person' in speaker ? speaker.person : speaker.organization;
        const entry = entries.get(slug)!;
        const real =
          realBySlug.get(slug) ??
          [entry.name, ...(entry.aliases ?? [])].map(realNamed).find((found) => found !== null) ??
          null;
        return {
          article: doc.slug,
          key: quote.key,
          text: quote.text,
          real,
          description: entry.description ?? null,
        };
      });
    });
  });

  it('holds the reference article and the invented stories, each of them valid', () => {
    expect(reference).toBeDefined();
    expect(documents.length).toBeGreaterThan(5);
  });

  it('quotes the people of the reference article only with their words, found verbatim in its own text', () => {
    const paragraphs = reference.body.flatMap((block) => (block.type === 'paragraph' ? [block.text] : []));
    const real = attributed.filter((quote) => quote.real !== null);
    expect(real.length).toBeGreaterThan(0);
    const unfounded = real
      .filter((quote) => !paragraphs.some((paragraph) => containsInOrder(paragraph, pieces(quote.text))))
      .map((quote) => `${quote.article}: ${quote.key} (${quote.real})`);
    expect(unfounded).toEqual([]);
  });

  it('gives each person and organization of the reference article exactly its quote count there', () => {
    const counts: Record<string, number> = Object.fromEntries(
      Object.keys(REAL_RECORD).map((slug) => [slug, 0]),
    );
    for (const quote of attributed)
      if (quote.real !== null) counts[quote.real] = (counts[quote.real] ?? 0) + 1;
    expect(counts).toEqual(REAL_RECORD);
    const outside = attributed.filter((quote) => quote.real !== null && quote.article !== REFERENCE);
    expect(outside.map((quote) => `${quote.article}: ${quote.key}`)).toEqual([]);
  });

  it('has the invented stories quote only people and organizations described as fictional', () => {
    const invented = attributed.filter((quote) => quote.article !== REFERENCE);
    expect(invented.length).toBeGreaterThan(10);
    const undeclared = invented
      .filter((quote) => quote.description !== null && !quote.description.includes('(fictional)'))
      .map((quote) => `${quote.article}: ${quote.key} (${quote.description})`);
    expect(undeclared).toEqual([]);
  });

  it('ends every invented story with the note that it, its people and their words are invented', () => {
    for (const doc of documents.filter((doc) => doc.slug !== REFERENCE)) {
      const last = doc.body.at(-1)!;
      expect(last.type === 'paragraph' && last.text, doc.slug).toMatch(
        /^Editor’s note: The Byline Dispatch is a fictional publication .* no real person or organization is quoted\.$/,
      );
    }
  });

  it('ships every image it shows: each one a /media/demo/ path of a file in content/demo/media', async () => {
    const urls = documents.flatMap((doc) => [
      ...(doc.leadImage ? [doc.leadImage.url] : []),
      ...doc.body.flatMap((block) => (block.type === 'image' ? [block.image.url] : [])),
      ...(doc.relatedLinks ?? []).flatMap((link) => (link.image ? [link.image.url] : [])),
    ]);
    expect(urls.length).toBeGreaterThan(10);
    const shipped = new Set(await readdir(path.join(DEMO_DIR, 'media')));
    for (const url of urls) {
      expect(url).toMatch(/^\/media\/demo\/[a-z0-9-]+\.svg$/);
      expect(shipped.has(url.slice('/media/demo/'.length)), url).toBe(true);
    }
  });

  describe('as served, drafts and embargoed articles included', () => {
    const gateway = useGateway(engines[0]!, {
      demo: true,
      viewer: viewersByHeader({ preview: previewViewer }),
    });

    it('counts for each speaker of the reference article the quotes of the real record', async () => {
      const fields = 'quotes(first: 100) { totalCount nodes { article { slug } } }';
      const asked = Object.keys(REAL_RECORD).map((slug, index) =>
        slug === 'south-korean-foreign-ministry'
          ? `s${index}: organization(slug: "${slug}") { ${fields} }`
          : `s${index}: person(slug: "${slug}") { ${fields} }`,
      );
      const { body } = await gateway.graphql(`{ ${asked.join('\n')} }`, {
        headers: { 'x-test-viewer': 'preview' },
      });
      expect(body.errors).toBeUndefined();
      const served = Object.keys(REAL_RECORD).map((slug, index) => {
        const quotes = (
          body.data![`s${index}`] as {
            quotes: { totalCount: number; nodes: { article: { slug: string } }[] };
          }
        ).quotes;
        expect(quotes.nodes.every((quote) => quote.article.slug === REFERENCE)).toBe(true);
        return [slug, quotes.totalCount];
      });
      expect(Object.fromEntries(served)).toEqual(REAL_RECORD);
    });

    it('serves the demo images from /media/demo/ and names them by absolute URLs on the public URL', async () => {
      const { body } = await gateway.graphql(`{ articles(first: 20) { nodes { slug leadImage { url } } } }`);
      const leads = (body.data!.articles.nodes as { slug: string; leadImage: { url: string } }[]).map(
        (node) => node.leadImage.url,
      );
      expect(leads.length).toBeGreaterThan(5);
      for (const url of leads) {
        expect(url).toMatch(new RegExp(`^${TEST_PUBLIC_URL}/media/demo/[a-z0-9-]+\\.svg$`));
        const response = await fetch(url.replace(TEST_PUBLIC_URL, gateway.origin));
        expect(response.status, url).toBe(200);
        expect(response.headers.get('content-type')).toBe('image/svg+xml');
        expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
        expect(await response.text()).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      }
      // A newcomer's first card: its image comes from Byline itself, which its CSP allows.
      const card = await fetch(`${gateway.origin}/embed/articles/${REFERENCE}`);
      expect(await card.text()).toContain(
        `<img src="${TEST_PUBLIC_URL}/media/demo/putin-visit-north-korea-2024-06-19.svg"`,
      );
      expect(card.headers.get('content-security-policy')).toContain(`img-src ${TEST_PUBLIC_URL};`);
      expect((await fetch(`${gateway.origin}/media/demo/../package.json`)).status).toBe(404);
      expect((await fetch(`${gateway.origin}/media/demo/missing.svg`)).status).toBe(404);
    });
  });
});

describe('image URLs in the content format', () => {
  const withLead = (url: string) => validateArticleDocument(makeArticle({ leadImage: { url } }));

  it('accepts absolute http(s) URLs and paths of files Byline serves under /media/', () => {
    for (const url of [
      'https://media.example/a.jpg',
      'http://media.example/b.png',
      '/media/demo/harbour.svg',
    ]) {
      expect(withLead(url).ok, url).toBe(true);
    }
  });

  it('refuses other paths, traversal and other schemes, saying what it expected', () => {
    for (const url of [
      '/etc/passwd',
      '/media/../package.json',
      '/media/demo/x.html',
      'javascript:alert(1)',
      'media/a.svg',
    ]) {
      const result = withLead(url);
      expect(result.ok, url).toBe(false);
      if (!result.ok) {
        expect(result.problems[0]).toEqual({
          path: '$.leadImage.url',
          message:
            'expected an absolute http(s) URL, or a path of a file Byline serves like "/media/demo/harbour.svg"',
        });
      }
    }
  });
});
