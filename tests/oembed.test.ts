import { describe, expect, it } from 'vitest';
import { describeEachEngine } from './helpers/engines.ts';
import { discoveryHref, ingestDocuments, makePartner, quoteGlobalId, untyped } from './helpers/embedding.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { TEST_PUBLIC_URL } from './helpers/gateway.ts';
import { useGateway } from './helpers/use-gateway.ts';

const published = makeArticle({
  slug: 'oembed-published',
  headline: 'Harbour reopens after the storm',
  authors: [
    { slug: 'ada-writer', name: 'Ada Writer' },
    { slug: 'bo-reporter', name: 'Bo Reporter' },
  ],
});
const noImage = makeArticle({ slug: 'oembed-no-image', leadImage: undefined });
const ownUrl = makeArticle({ slug: 'oembed-own-url', url: 'https://elsewhere.example/story/42' });
const draft = makeArticle({ slug: 'oembed-draft', status: 'draft', publishedAt: undefined });
const embargoed = makeArticle({ slug: 'oembed-embargoed', publishedAt: '2099-01-01T00:00:00Z' });

const articleUrl = (slug: string) => `${TEST_PUBLIC_URL}/articles/${slug}`;

describeEachEngine('GET /oembed', (engine) => {
  let ids: Map<string, number>;
  let quoteId: string;
  let draftQuoteId: string;
  let previewKey: string;
  let plainKey: string;

  const oembed = (params: Record<string, string> | string, headers: Record<string, string> = {}) =>
    fetch(`${gateway.origin}/oembed?${typeof params === 'string' ? params : new URLSearchParams(params)}`, {
      headers,
    });

  const gateway = useGateway(engine, {
    seed: async ({ handle }) => {
      ids = await ingestDocuments(handle.db, [published, noImage, ownUrl, draft, embargoed]);
      quoteId = await quoteGlobalId(handle.db, ids.get('oembed-published')!, 0);
      draftQuoteId = await quoteGlobalId(handle.db, ids.get('oembed-draft')!, 0);
      previewKey = (await makePartner(handle.db, { scopes: ['preview'] })).key;
      plainKey = (await makePartner(handle.db)).key;
    },
  });

  describe('an article URL', () => {
    it('answers a rich 1.0 response with every field the spec defines for it', async () => {
      const response = await oembed({ url: articleUrl('oembed-published'), format: 'json' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      const body = await response.json().then(untyped);
      expect(body).toEqual({
        type: 'rich',
        version: '1.0',
        title: 'Harbour reopens after the storm',
        author_name: 'Ada Writer and Bo Reporter',
        author_url: `${TEST_PUBLIC_URL}/people/ada-writer`,
        provider_name: 'Byline',
        provider_url: TEST_PUBLIC_URL,
        cache_age: 300,
        html: expect.stringMatching(/^<iframe /),
        width: 600,
        height: 480,
        thumbnail_url: 'https://media.example/oembed-published.jpg',
        thumbnail_width: 800,
        thumbnail_height: 600,
      });
      expect(body.html).toContain(`src="${TEST_PUBLIC_URL}/embed/articles/oembed-published"`);
      expect(body.html).toContain('width="600" height="480"');
      expect(body.html).toContain('sandbox="allow-scripts allow-popups allow-popups-to-escape-sandbox"');
      // The opt-in resizer follows the iframe; without it the iframe keeps this natural size.
      expect(body.html).toMatch(/ data-byline-embed><\/iframe><script>\(function\(w,d\)\{.*<\/script>$/);
      expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    });

    it('leaves out all three thumbnail fields when the article has no lead image', async () => {
      const body = await (await oembed({ url: articleUrl('oembed-no-image') })).json().then(untyped);
      expect(body).not.toHaveProperty('thumbnail_url');
      expect(body).not.toHaveProperty('thumbnail_width');
      expect(body).not.toHaveProperty('thumbnail_height');
      expect(body.height).toBe(300);
    });

    it('honours maxwidth and maxheight in width, height and the iframe', async () => {
      const body = await (
        await oembed({ url: articleUrl('oembed-published'), maxwidth: '320', maxheight: '240' })
      )
        .json()
        .then(untyped);
      expect(body).toMatchObject({ width: 320, height: 240 });
      expect(body.html).toContain('width="320" height="240"');
      const wide = await (
        await oembed({ url: articleUrl('oembed-published'), maxwidth: '1200', maxheight: '2000' })
      )
        .json()
        .then(untyped);
      expect(wide).toMatchObject({ width: 600, height: 480 });
    });

    it("accepts the article's own canonical URL and the embed page URL", async () => {
      const own = await oembed({ url: 'https://elsewhere.example/story/42' });
      expect(own.status).toBe(200);
      expect((await own.json().then(untyped)).html).toContain('/embed/articles/oembed-own-url');
      const embed = await oembed({ url: `${TEST_PUBLIC_URL}/embed/articles/oembed-published` });
      expect(embed.status).toBe(200);
    });

    it('serves XML when format=xml, with the same fields escaped', async () => {
      const response = await oembed({ url: articleUrl('oembed-published'), format: 'xml' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/xml; charset=utf-8');
      const xml = await response.text();
      expect(xml).toMatch(/^<\?xml version="1.0" encoding="utf-8" standalone="yes"\?>\n<oembed>/);
      expect(xml).toContain('<type>rich</type>');
      expect(xml).toContain('<version>1.0</version>');
      expect(xml).toContain('<width>600</width>');
      expect(xml).toContain('<html>&lt;iframe src=&quot;');
      expect(xml).not.toContain('<iframe');
    });
  });

  describe('a quote URL', () => {
    it('answers a rich response naming the speaker, framing the quote card', async () => {
      const response = await oembed({ url: `${TEST_PUBLIC_URL}/quotes/${quoteId}` });
      expect(response.status).toBe(200);
      const body = await response.json().then(untyped);
      expect(body).toEqual({
        type: 'rich',
        version: '1.0',
        title: 'Dr. Sam Source: “The first thing said.”',
        author_name: 'Dr. Sam Source',
        author_url: `${TEST_PUBLIC_URL}/people/sam-source`,
        provider_name: 'Byline',
        provider_url: TEST_PUBLIC_URL,
        cache_age: 300,
        html: expect.stringContaining(`src="${TEST_PUBLIC_URL}/embed/quotes/${quoteId}"`),
        width: 600,
        height: 300,
      });
    });

    it('honours maxwidth for a quote too', async () => {
      const body = await (
        await oembed({ url: `${TEST_PUBLIC_URL}/quotes/${quoteId}`, maxwidth: '300' })
      )
        .json()
        .then(untyped);
      expect(body.width).toBe(300);
    });
  });

  describe('errors (https://oembed.com/#section2.3.3)', () => {
    it('400 when url is missing, repeated or too long', async () => {
      for (const query of [
        'format=json',
        `url=${encodeURIComponent(articleUrl('a'))}&url=x`,
        `url=${'x'.repeat(2100)}`,
      ]) {
        const response = await oembed(query);
        expect(response.status).toBe(400);
        expect((await response.json().then(untyped)).errors[0].extensions.code).toBe('BAD_REQUEST');
      }
    });

    it('400 when maxwidth or maxheight is not a positive integer, naming the parameter', async () => {
      for (const [name, value] of [
        ['maxwidth', 'wide'],
        ['maxwidth', '0'],
        ['maxheight', '-5'],
        ['maxheight', '1.5'],
      ] as const) {
        const response = await oembed({ url: articleUrl('oembed-published'), [name]: value });
        expect(response.status).toBe(400);
        expect((await response.json().then(untyped)).errors[0].message).toContain(`"${name}"`);
      }
    });

    it('501 for a format other than json or xml', async () => {
      const response = await oembed({ url: articleUrl('oembed-published'), format: 'yaml' });
      expect(response.status).toBe(501);
      expect((await response.json().then(untyped)).errors[0].message).toContain(
        'expected json or xml, got "yaml"',
      );
    });

    it('404 for an unknown slug, an unknown quote, a foreign URL and a non-http URL', async () => {
      for (const url of [
        articleUrl('no-such-article'),
        `${TEST_PUBLIC_URL}/quotes/not-a-quote-id`,
        `${TEST_PUBLIC_URL}/somewhere/else`,
        'https://unrelated.example/articles/oembed-published',
        'javascript:alert(1)',
        'not a url',
      ]) {
        const response = await oembed({ url });
        expect(response.status, url).toBe(404);
      }
    });

    it('401 for a draft, an embargoed article and a draft’s quote without the preview right', async () => {
      for (const url of [
        articleUrl('oembed-draft'),
        articleUrl('oembed-embargoed'),
        `${TEST_PUBLIC_URL}/quotes/${draftQuoteId}`,
      ]) {
        const anonymous = await oembed({ url });
        expect(anonymous.status, url).toBe(401);
        expect((await anonymous.json().then(untyped)).errors[0].message).toContain('"preview" right');
        const keyed = await oembed({ url }, { authorization: `Bearer ${plainKey}` });
        expect(keyed.status, url).toBe(401);
      }
    });

    it('answers a draft to a key with the preview right, never into a shared cache', async () => {
      const response = await oembed({ url: articleUrl('oembed-draft') }, { 'x-api-key': previewKey });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('private, no-store');
      expect((await response.json().then(untyped)).title).toBe(draft.headline);
    });
  });

  describe('discovery', () => {
    it('every embed page and the article and quote pages link to their oEmbed endpoint', async () => {
      for (const [path, expectedUrl] of [
        ['/embed/articles/oembed-published', articleUrl('oembed-published')],
        ['/articles/oembed-published', articleUrl('oembed-published')],
        [`/embed/quotes/${quoteId}`, `${TEST_PUBLIC_URL}/quotes/${quoteId}`],
        [`/quotes/${quoteId}`, `${TEST_PUBLIC_URL}/quotes/${quoteId}`],
      ] as const) {
        const page = await fetch(gateway.origin + path);
        expect(page.status, path).toBe(200);
        const html = await page.text();
        const href = discoveryHref(html);
        expect(href, path).toBe(
          `${TEST_PUBLIC_URL}/oembed?url=${encodeURIComponent(expectedUrl)}&format=json`,
        );
        expect(discoveryHref(html, 'text/xml+oembed')).toBe(href!.replace('format=json', 'format=xml'));
        // The advertised endpoint answers (the public URL is this gateway under another name).
        const answer = await fetch(href!.replace(TEST_PUBLIC_URL, gateway.origin));
        expect(answer.status, path).toBe(200);
        expect((await answer.json().then(untyped)).type).toBe('rich');
      }
    });

    it('the article page links to its embed card', async () => {
      const html = await (await fetch(`${gateway.origin}/articles/oembed-published`)).text();
      expect(html).toContain(`href="${TEST_PUBLIC_URL}/embed/articles/oembed-published"`);
      expect(html).toContain('<h1>Harbour reopens after the storm</h1>');
    });
  });
});
