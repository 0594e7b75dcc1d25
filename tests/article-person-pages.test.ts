import { describe, expect, it } from 'vitest';
import type { ArticleDocument } from '../src/ingest/article-document.ts';
import { describeEachEngine } from './helpers/engines.ts';
import { assertInert, untyped } from './helpers/embedding.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { TEST_PUBLIC_URL } from './helpers/gateway.ts';
import { useGateway } from './helpers/use-gateway.ts';
import { testPartner, viewersByHeader } from './helpers/viewers.ts';

const NORA = {
  slug: 'nora-quill',
  name: 'Nora Quill',
  honorific: 'Prof.',
  description: 'Tide scientist (fictional)',
};
const OTTO = { slug: 'otto-vance', name: 'Otto Vance', description: 'Harbour pilot (fictional)' };

/** An article with one block of every type, and a quote placed only as a pull quote. */
const everyBlock: ArticleDocument = makeArticle({
  slug: 'every-block',
  headline: 'The tide tables are wrong',
  publishedAt: '2024-05-01T08:00:00Z',
  leadImage: {
    url: 'https://media.example/tide.jpg',
    caption: 'The harbour at low water.',
    credit: 'Photo: Tide Desk',
    width: 1600,
    height: 900,
  },
  people: [{ ...NORA, role: 'tide scientist at the harbour board' }],
  organizations: [],
  quotes: [
    {
      key: 'pulled',
      text: 'Nobody reads a tide table until the boat is already aground.',
      speaker: { person: 'nora-quill' },
      context: 'at the harbour board',
    },
    { key: 'inline', text: 'We measured twice.', speaker: { person: 'nora-quill' } },
  ],
  relatedLinks: [
    {
      key: 'own',
      title: 'Night trains return to the coast',
      article: 'pages-target',
      label: 'Transport',
      image: { url: 'https://images.example/train.jpg', caption: 'A sleeper train', width: 300, height: 200 },
    },
    { key: 'hidden', title: 'A story still in the works', article: 'pages-draft' },
    { key: 'outside', title: 'Tide predictions explained', url: 'https://tides.example/explained' },
  ],
  body: [
    { type: 'paragraph', text: 'The first paragraph & its <b>markup</b>.' },
    { type: 'heading', text: 'What the gauges show', level: 2 },
    { type: 'paragraph', text: '“We measured twice,” Quill said.', quotes: ['inline'] },
    { type: 'quote', quote: 'pulled' },
    {
      type: 'image',
      image: {
        url: 'https://images.example/gauge.jpg',
        caption: 'A tide gauge on the north pier.',
        credit: 'Photo: Pier Desk',
        alt: 'A white post with depth marks standing in the water',
        width: 1200,
        height: 800,
      },
    },
    { type: 'relatedLink', link: 'own' },
    { type: 'relatedLink', link: 'hidden' },
    { type: 'relatedLink', link: 'outside' },
  ],
});

const target = makeArticle({
  slug: 'pages-target',
  headline: 'Night trains return to the coast',
  people: [OTTO],
  authors: [{ slug: 'ada-writer', name: 'Ada Writer' }],
  quotes: [],
  organizations: [],
  relatedLinks: [],
  body: [{ type: 'paragraph', text: 'Otto Vance steered the first train ferry in.' }],
});

const draft = makeArticle({
  slug: 'pages-draft',
  status: 'draft',
  headline: 'Secret draft about the tides',
  people: [NORA, { slug: 'only-in-drafts', name: 'Dora Draft', description: 'Named in a draft (fictional)' }],
  organizations: [],
  relatedLinks: [],
  quotes: [
    { key: 'd1', text: 'A draft quote nobody may read yet.', speaker: { person: 'nora-quill' } },
    { key: 'd2', text: 'Another draft quote.', speaker: { person: 'only-in-drafts' } },
  ],
  body: [
    { type: 'paragraph', text: '“A draft quote nobody may read yet.”', quotes: ['d1'] },
    { type: 'paragraph', text: '“Another draft quote.”', quotes: ['d2'] },
  ],
});

const embargoed = makeArticle({
  slug: 'pages-embargoed',
  publishedAt: '2099-01-01T00:00:00Z',
  headline: 'Embargoed tide story',
  people: [NORA],
  organizations: [],
  relatedLinks: [],
  quotes: [{ key: 'e1', text: 'An embargoed quote.', speaker: { person: 'nora-quill' } }],
  body: [{ type: 'paragraph', text: '“An embargoed quote.”', quotes: ['e1'] }],
});

function jsonLdOf(html: string): Record<string, any> {
  return JSON.parse(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/.exec(html)![1]!);
}

describeEachEngine('the pages that show the whole article and the people in it', (engine) => {
  const gateway = useGateway(engine, {
    articles: [target, draft, embargoed, everyBlock],
    // A partner that may preview drafts and read bodies, as a newsroom's own front end would be.
    viewer: viewersByHeader({ preview: testPartner(1, { scopes: ['preview', 'body'] }) }),
  });
  const page = async (path: string, viewer?: 'preview') => {
    const response = await fetch(
      gateway.origin + path,
      viewer ? { headers: { 'x-test-viewer': viewer } } : {},
    );
    return { response, html: await response.text() };
  };

  describe('GET /articles/:slug', () => {
    it('prints paragraphs and headings as text, escaped', async () => {
      const { response, html } = await page('/articles/every-block');
      expect(response.status).toBe(200);
      expect(html).toContain('<p>The first paragraph &amp; its &lt;b&gt;markup&lt;/b&gt;.</p>');
      expect(html).toContain('<h2>What the gauges show</h2>');
      expect(html).toContain('<p>“We measured twice,” Quill said.</p>');
      assertInert(html);
    });

    it('prints the lead image with its caption and credit', async () => {
      const { html } = await page('/articles/every-block');
      expect(html).toContain('<img src="https://media.example/tide.jpg"');
      expect(html).toContain(
        '<figcaption>The harbour at low water.<span class="credit">Photo: Tide Desk</span></figcaption>',
      );
    });

    it('prints a quote placed only as a pull quote, with its speaker, role, context and page', async () => {
      const { html } = await page('/articles/every-block');
      const quotes = untyped(
        (await gateway.graphql('{ article(slug: "every-block") { quotes { id text } } }')).body.data,
      ).article.quotes as { id: string; text: string }[];
      const pulled = quotes.find((quote) => quote.text.startsWith('Nobody reads'))!;
      expect(html).toContain(
        `<figure class="pull"><blockquote cite="${TEST_PUBLIC_URL}/quotes/${pulled.id}"><p>“Nobody reads a tide table until the boat is already aground.”</p></blockquote>`,
      );
      expect(html).toContain(
        `<figcaption><a href="${TEST_PUBLIC_URL}/people/nora-quill">Prof. Nora Quill</a><span class="role">, tide scientist at the harbour board</span> <span class="context">at the harbour board</span></figcaption>`,
      );
    });

    it('prints an image block with its caption, credit and alt text', async () => {
      const { html } = await page('/articles/every-block');
      expect(html).toContain(
        '<figure class="image"><img src="https://images.example/gauge.jpg" alt="A white post with depth marks standing in the water" width="1200" height="800"',
      );
      expect(html).toContain(
        '<figcaption>A tide gauge on the north pier.<span class="credit">Photo: Pier Desk</span></figcaption></figure>',
      );
    });

    it('prints related-link cards: label, title, image, and a link only where the target may be read', async () => {
      const { response, html } = await page('/articles/every-block');
      expect(html).toContain(
        `<aside class="related"><a class="related-link" href="${TEST_PUBLIC_URL}/articles/pages-target"><img src="https://images.example/train.jpg" alt="A sleeper train" width="300" height="200" loading="lazy" referrerpolicy="no-referrer"><span><span class="label">Transport</span><span class="title">Night trains return to the coast</span></span></a></aside>`,
      );
      expect(html).toContain(
        '<aside class="related"><a class="related-link" href="https://tides.example/explained"><span><span class="title">Tide predictions explained</span></span></a></aside>',
      );
      // The draft target: its title (the linking article's own words) without a link to a page that is 404.
      expect(html).toContain(
        '<aside class="related"><span><span class="title">A story still in the works</span></span></aside>',
      );
      expect(html).not.toContain('/articles/pages-draft');
      // The CSP lets in the origins of every image the page prints, and no other.
      const imgSrc = /img-src ([^;]*)/.exec(response.headers.get('content-security-policy')!)![1]!;
      expect(imgSrc.split(' ').sort()).toEqual(['https://images.example', 'https://media.example']);
    });

    it('links the related card to the draft for a viewer with the preview right', async () => {
      const { html } = await page('/articles/every-block', 'preview');
      expect(html).toContain(`href="${TEST_PUBLIC_URL}/articles/pages-draft"`);
    });
  });

  describe('GET /people/:slug', () => {
    it('shows the name, description, quotes with their articles and the articles naming them', async () => {
      const { response, html } = await page('/people/nora-quill');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(html).toContain('<h1>Prof. Nora Quill</h1>');
      expect(html).toContain('<p class="standfirst">Tide scientist (fictional)</p>');
      expect(html).toContain('<p>“Nobody reads a tide table until the boat is already aground.”</p>');
      expect(html).toContain('<p>“We measured twice.”</p>');
      expect(html).toContain(
        `at the harbour board, in <a href="${TEST_PUBLIC_URL}/articles/every-block" target="_blank" rel="noopener noreferrer">The tide tables are wrong</a>`,
      );
      expect(html).toContain('<h2>Articles naming them</h2>');
      expect(html).toContain(`<a href="${TEST_PUBLIC_URL}/articles/every-block"`);
      assertInert(html);
    });

    it('carries a schema.org Person with its own URL', async () => {
      const { html } = await page('/people/nora-quill');
      expect(jsonLdOf(html)).toEqual({
        '@context': 'https://schema.org',
        '@type': 'Person',
        name: 'Nora Quill',
        url: `${TEST_PUBLIC_URL}/people/nora-quill`,
        honorificPrefix: 'Prof.',
        description: 'Tide scientist (fictional)',
        mainEntityOfPage: { '@type': 'ProfilePage', '@id': `${TEST_PUBLIC_URL}/people/nora-quill` },
      });
      expect(html).toContain(`<link rel="canonical" href="${TEST_PUBLIC_URL}/people/nora-quill">`);
    });

    it('never shows a draft or an embargoed article, nor their quotes, without the preview right', async () => {
      const { html, response } = await page('/people/nora-quill');
      for (const hidden of ['Secret draft', 'draft quote', 'Embargoed tide story', 'embargoed quote']) {
        expect(html).not.toContain(hidden);
      }
      expect(response.headers.get('cache-control')).toBe('public, max-age=300');
      const preview = await page('/people/nora-quill', 'preview');
      for (const hidden of [
        'Secret draft about the tides',
        'A draft quote nobody may read yet.',
        'Embargoed tide story',
      ]) {
        expect(preview.html).toContain(hidden);
      }
      expect(preview.response.headers.get('cache-control')).toBe('private, no-store');
    });

    it('is 404 for an unknown slug and for a person only drafts name, unless the viewer may preview', async () => {
      expect((await page('/people/nobody-at-all')).response.status).toBe(404);
      const hidden = await page('/people/only-in-drafts');
      expect(hidden.response.status).toBe(404);
      expect(hidden.html).not.toContain('Dora Draft');
      expect((await page('/people/only-in-drafts', 'preview')).response.status).toBe(200);
    });

    it('answers for every person URL the API hands out: oEmbed author_url, quote and article JSON-LD', async () => {
      const { body } = await gateway.graphql(
        '{ a: article(slug: "every-block") { quotes { jsonLd } } t: article(slug: "pages-target") { jsonLd } }',
      );
      const data = untyped(body.data);
      const urls = [
        ...data.a.quotes.map((quote: any) => quote.jsonLd.creator.url),
        ...data.t.jsonLd.author.map((author: any) => author.url),
      ];
      const oembed = untyped(
        await (
          await fetch(
            `${gateway.origin}/oembed?url=${encodeURIComponent(`${TEST_PUBLIC_URL}/articles/pages-target`)}`,
          )
        ).json(),
      );
      urls.push(oembed.author_url);
      expect(new Set(urls)).toEqual(
        new Set([`${TEST_PUBLIC_URL}/people/nora-quill`, `${TEST_PUBLIC_URL}/people/ada-writer`]),
      );
      for (const url of new Set(urls)) {
        const response = await fetch(url.replace(TEST_PUBLIC_URL, gateway.origin));
        expect(response.status, url).toBe(200);
      }
      // An author page lists what they wrote.
      expect((await page('/people/ada-writer')).html).toContain('<h2>Articles by them</h2>');
    });
  });
});
