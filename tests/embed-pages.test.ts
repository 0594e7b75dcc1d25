import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { revokePartner } from '../src/modules/partners/index.ts';
import { describeEachEngine } from './helpers/engines.ts';
import {
  assertInert,
  hostile,
  ingestDocuments,
  makePartner,
  quoteGlobalId,
  untyped,
} from './helpers/embedding.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { TEST_PUBLIC_URL } from './helpers/gateway.ts';
import { useGateway } from './helpers/use-gateway.ts';

const card = makeArticle({
  slug: 'card-article',
  headline: 'Ferry service resumes',
  publishedAt: '2024-03-05T10:00:00Z',
});
const draft = makeArticle({ slug: 'card-draft', status: 'draft', publishedAt: undefined });

function jsonLdOf(html: string): Record<string, unknown> {
  return JSON.parse(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/.exec(html)![1]!);
}

function csp(response: Response): Map<string, string> {
  return new Map(
    (response.headers.get('content-security-policy') ?? '')
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .map(([name, ...values]) => [name!, values.join(' ')]),
  );
}

describeEachEngine('embed pages', (engine) => {
  let ids: Map<string, number>;
  let quoteId: string;
  let hostileQuoteId: string;
  let partner: { id: number; key: string };
  let previewKey: string;

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(gateway.origin + path, { headers });

  const gateway = useGateway(engine, {
    seed: async ({ handle }) => {
      ids = await ingestDocuments(handle.db, [card, draft, hostile]);
      quoteId = await quoteGlobalId(handle.db, ids.get('card-article')!, 0);
      hostileQuoteId = await quoteGlobalId(handle.db, ids.get('hostile-content')!, 0);
      partner = await makePartner(handle.db, {
        origins: ['https://partner.example', 'https://www.partner.example'],
      });
      previewKey = (await makePartner(handle.db, { scopes: ['preview'] })).key;
    },
  });

  describe('GET /embed/articles/:slug', () => {
    it('shows headline, section, date, lead image with credit, standfirst, byline and a link back', async () => {
      const response = await get('/embed/articles/card-article');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await response.text();
      const canonical = `${TEST_PUBLIC_URL}/articles/card-article`;
      expect(html).toContain(
        `<a href="${canonical}" target="_blank" rel="noopener noreferrer">Ferry service resumes</a>`,
      );
      expect(html).toContain('<span class="section">World</span>');
      expect(html).toContain('<time datetime="2024-03-05T10:00:00.000Z">5 March 2024</time>');
      expect(html).toContain(
        '<img src="https://media.example/card-article.jpg" alt="A caption" width="800" height="600"',
      );
      expect(html).toContain('<figcaption>A credit</figcaption>');
      expect(html).toContain('<p class="standfirst">A standfirst for testing.</p>');
      expect(html).toContain('<p class="byline">By Ada Writer</p>');
      expect(html).toContain(`<a class="more" href="${canonical}"`);
      expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    });

    it('sends a CSP with only the height script by hash, the stylesheet by hash, images from the stored origin and frame-ancestors *', async () => {
      const response = await get('/embed/articles/card-article');
      const html = await response.text();
      const policy = csp(response);
      expect(policy.get('default-src')).toBe("'none'");
      const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
      expect(policy.get('script-src')).toBe(
        `'sha256-${createHash('sha256').update(script).digest('base64')}'`,
      );
      const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
      expect(policy.get('style-src')).toBe(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
      expect(policy.get('img-src')).toBe('https://media.example');
      expect(policy.get('frame-ancestors')).toBe('*');
      expect(policy.get('base-uri')).toBe("'none'");
      expect(html).not.toMatch(/\sstyle=/);
    });

    it('sends Cache-Control with max-age and an ETag, and 304 on a matching If-None-Match', async () => {
      const first = await get('/embed/articles/card-article');
      const etag = first.headers.get('etag')!;
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
      expect(first.headers.get('cache-control')).toBe('public, max-age=300');
      for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`]) {
        const again = await get('/embed/articles/card-article', { 'if-none-match': ifNoneMatch });
        expect(again.status).toBe(304);
        expect(await again.text()).toBe('');
        expect(again.headers.get('etag')).toBe(etag);
      }
      const stale = await get('/embed/articles/card-article', { 'if-none-match': '"stale"' });
      expect(stale.status).toBe(200);
    });

    it('lets only the partner’s origins frame a card its URL names, or that its key fetched', async () => {
      const named = await get(`/embed/articles/card-article?partner=${partner.id}`);
      expect(csp(named).get('frame-ancestors')).toBe('https://partner.example https://www.partner.example');
      const keyed = await get('/embed/articles/card-article', { 'x-api-key': partner.key });
      expect(csp(keyed).get('frame-ancestors')).toBe('https://partner.example https://www.partner.example');
      expect(keyed.headers.get('cache-control')).toBe('private, no-store');
      expect((await get('/embed/articles/card-article?partner=abc')).status).toBe(400);
      expect((await get('/embed/articles/card-article?partner=987654')).status).toBe(404);
    });

    it('is 404 for an unknown slug and for a draft, unless the key has the preview right', async () => {
      expect((await get('/embed/articles/no-such-slug')).status).toBe(404);
      const hidden = await get('/embed/articles/card-draft');
      expect(hidden.status).toBe(404);
      expect(await hidden.text()).not.toContain(draft.headline);
      expect((await get('/articles/card-draft')).status).toBe(404);
      const preview = await get('/embed/articles/card-draft', { authorization: `Bearer ${previewKey}` });
      expect(preview.status).toBe(200);
      expect(preview.headers.get('cache-control')).toBe('private, no-store');
      expect(await preview.text()).toContain('<time>Draft</time>');
    });

    it('carries the article’s JSON-LD, the same document as Article.jsonLd', async () => {
      const html = await (await get('/embed/articles/card-article')).text();
      const { body } = await gateway.graphql('{ article(slug: "card-article") { jsonLd } }');
      expect(jsonLdOf(html)).toEqual(body.data!.article.jsonLd);
    });
  });

  describe('GET /embed/quotes/:id', () => {
    it('shows the quote, the speaker with their role, the context, the source article and a link back', async () => {
      const response = await get(`/embed/quotes/${quoteId}`);
      expect(response.status).toBe(200);
      const html = await response.text();
      const canonical = `${TEST_PUBLIC_URL}/articles/card-article`;
      expect(html).toContain('<p>“The first thing said.”</p></blockquote>');
      expect(html).toContain(
        '<p class="speaker">Dr. Sam Source<span class="role">, analyst</span> <span class="context">in an interview</span></p>',
      );
      expect(html).toContain(
        `From <a href="${canonical}" target="_blank" rel="noopener noreferrer">Ferry service resumes</a>`,
      );
      expect(html).toContain(`<a class="more" href="${canonical}"`);
      expect(csp(response).get('img-src')).toBe("'none'");
      expect(response.headers.get('etag')).toBeTruthy();
    });

    it('is 404 for a numeric id, another type’s ID and a quote of a draft', async () => {
      const draftQuote = await quoteGlobalId(gateway.db, ids.get('card-draft')!, 0);
      const articleId = Buffer.from(`Article:${ids.get('card-article')}`).toString('base64url');
      for (const id of ['1', articleId, draftQuote, '%3Cscript%3E']) {
        expect((await get(`/embed/quotes/${id}`)).status, id).toBe(404);
      }
    });
  });

  describe('escaping', () => {
    it('keeps hostile content inert in the article card, the article page and the quote card', async () => {
      for (const path of [
        '/embed/articles/hostile-content',
        '/articles/hostile-content',
        `/embed/quotes/${hostileQuoteId}`,
        `/quotes/${hostileQuoteId}`,
      ]) {
        const response = await get(path);
        expect(response.status, path).toBe(200);
        const html = await response.text();
        assertInert(html);
        if (path.includes('articles')) {
          expect(html).toContain(
            '&lt;/title&gt;&lt;script&gt;window.__pwned=&#39;headline&#39;&lt;/script&gt;&quot;&gt;',
          );
          // The URL reaches src percent-encoded by the URL parser, so the quote cannot end the attribute.
          expect(html).toContain('src="https://media.example/x.jpg?a=%22onerror=%22window.__pwned=7"');
          expect(jsonLdOf(html).headline).toBe(hostile.headline);
        } else {
          expect(html).toContain('&quot;onmouseover=&quot;window.__pwned=4&quot; &lt;/blockquote&gt;');
          expect(jsonLdOf(html).text).toBe(hostile.quotes![0]!.text);
        }
      }
    });

    it('never turns a stored javascript: URL into an href or src', async () => {
      const db = gateway.db;
      const article = await db
        .selectFrom('articles')
        .select(['id', 'lead_image_id'])
        .where('slug', '=', 'hostile-content')
        .executeTakeFirstOrThrow();
      await db
        .updateTable('images')
        .set({ url: 'javascript:window.__pwned=10' })
        .where('id', '=', article.lead_image_id!)
        .execute();
      await db
        .updateTable('articles')
        .set({ url: 'javascript:window.__pwned=11' })
        .where('id', '=', article.id)
        .execute();
      try {
        const response = await get('/embed/articles/hostile-content');
        const html = await response.text();
        assertInert(html);
        expect(html).not.toContain('<img');
        expect(csp(response).get('img-src')).toBe("'none'");
        expect(html).toMatch(/<h1><span>&lt;\/title/);
        const oembed = await (
          await fetch(
            `${gateway.origin}/oembed?url=${encodeURIComponent(`${TEST_PUBLIC_URL}/articles/hostile-content`)}`,
          )
        )
          .json()
          .then(untyped);
        expect(oembed).not.toHaveProperty('thumbnail_url');
        expect(oembed.html).not.toContain('javascript:');
      } finally {
        await db.updateTable('articles').set({ url: null }).where('id', '=', article.id).execute();
        await db
          .updateTable('images')
          .set({ url: hostile.leadImage!.url })
          .where('id', '=', article.lead_image_id!)
          .execute();
      }
    });

    it('ingest itself refuses javascript: URLs', async () => {
      await expect(
        ingestDocuments(gateway.db, [makeArticle({ url: 'javascript:alert(1)' })]),
      ).rejects.toThrow(/expected an absolute http\(s\) URL/);
    });
  });

  describe('Article.embed, Article.jsonLd, Quote.embed, Quote.jsonLd', () => {
    it('give the iframe snippet, its URL, the oEmbed URL and a schema.org NewsArticle', async () => {
      const { body } = await gateway.graphql(
        '{ article(slug: "card-article") { embed { html iframeUrl oembedUrl width height } jsonLd } }',
      );
      expect(body.errors).toBeUndefined();
      const canonical = `${TEST_PUBLIC_URL}/articles/card-article`;
      const { embed, jsonLd } = body.data!.article;
      expect(embed).toEqual({
        html: expect.stringContaining(
          `<iframe src="${TEST_PUBLIC_URL}/embed/articles/card-article" width="600" height="480"`,
        ),
        iframeUrl: `${TEST_PUBLIC_URL}/embed/articles/card-article`,
        oembedUrl: `${TEST_PUBLIC_URL}/oembed?url=${encodeURIComponent(canonical)}&format=json`,
        width: 600,
        height: 480,
      });
      expect(jsonLd).toEqual({
        '@context': 'https://schema.org',
        '@type': 'NewsArticle',
        headline: 'Ferry service resumes',
        description: 'A standfirst for testing.',
        url: canonical,
        mainEntityOfPage: { '@type': 'WebPage', '@id': canonical },
        datePublished: '2024-03-05T10:00:00.000Z',
        dateModified: '2024-03-05T10:00:00.000Z',
        author: [{ '@type': 'Person', name: 'Ada Writer', url: `${TEST_PUBLIC_URL}/people/ada-writer` }],
        image: [
          {
            '@type': 'ImageObject',
            url: 'https://media.example/card-article.jpg',
            width: 800,
            height: 600,
            caption: 'A caption',
            creditText: 'A credit',
          },
        ],
        publisher: { '@type': 'Organization', name: 'Byline', url: TEST_PUBLIC_URL },
        articleSection: 'World',
        inLanguage: 'en',
      });
    });

    it('name the partner in the iframe URL when asked with its key', async () => {
      const { body } = await gateway.graphql(
        '{ article(slug: "card-article") { embed { iframeUrl html } } }',
        {
          headers: { authorization: `Bearer ${partner.key}` },
        },
      );
      expect(body.data!.article.embed.iframeUrl).toBe(
        `${TEST_PUBLIC_URL}/embed/articles/card-article?partner=${partner.id}`,
      );
      expect(body.data!.article.embed.html).toContain(`?partner=${partner.id}"`);
    });

    it('give a quote card and a schema.org Quotation that the quote page carries too', async () => {
      const { body } = await gateway.graphql(
        'query ($id: ID!) { quote(id: $id) { embed { iframeUrl oembedUrl width height } jsonLd } }',
        { variables: { id: quoteId } },
      );
      expect(body.errors).toBeUndefined();
      const quoteUrl = `${TEST_PUBLIC_URL}/quotes/${quoteId}`;
      expect(body.data!.quote.embed).toEqual({
        iframeUrl: `${TEST_PUBLIC_URL}/embed/quotes/${quoteId}`,
        oembedUrl: `${TEST_PUBLIC_URL}/oembed?url=${encodeURIComponent(quoteUrl)}&format=json`,
        width: 600,
        height: 300,
      });
      expect(body.data!.quote.jsonLd).toEqual({
        '@context': 'https://schema.org',
        '@type': 'Quotation',
        text: 'The first thing said.',
        url: quoteUrl,
        creator: { '@type': 'Person', name: 'Dr. Sam Source', url: `${TEST_PUBLIC_URL}/people/sam-source` },
        spokenByCharacter: {
          '@type': 'Person',
          name: 'Dr. Sam Source',
          url: `${TEST_PUBLIC_URL}/people/sam-source`,
        },
        inLanguage: 'en',
        isPartOf: {
          '@type': 'NewsArticle',
          headline: 'Ferry service resumes',
          url: `${TEST_PUBLIC_URL}/articles/card-article`,
          datePublished: '2024-03-05T10:00:00.000Z',
        },
        publisher: { '@type': 'Organization', name: 'Byline', url: TEST_PUBLIC_URL },
      });
      const html = await (await get(`/quotes/${quoteId}`)).text();
      expect(jsonLdOf(html)).toEqual(body.data!.quote.jsonLd);
    });

    it('give an organization as creator without spokenByCharacter', async () => {
      const secondQuote = await quoteGlobalId(gateway.db, ids.get('card-article')!, 1);
      const { body } = await gateway.graphql('query ($id: ID!) { quote(id: $id) { jsonLd } }', {
        variables: { id: secondQuote },
      });
      expect(body.data!.quote.jsonLd.creator).toEqual({ '@type': 'Organization', name: 'Acme Ministry' });
      expect(body.data!.quote.jsonLd).not.toHaveProperty('spokenByCharacter');
    });
  });

  describe('a revoked partner', () => {
    it('no longer opens its origins to framing: its cards are 404', async () => {
      const gone = await makePartner(gateway.db, { origins: ['https://gone.example'] });
      expect((await get(`/embed/articles/card-article?partner=${gone.id}`)).status).toBe(200);
      await revokePartner(gateway.db, gone.id);
      expect((await get(`/embed/articles/card-article?partner=${gone.id}`)).status).toBe(404);
    });
  });
});

describeEachEngine('embed pages with BYLINE_EMBED_FRAME_ANCESTORS set', (engine) => {
  const gateway = useGateway(engine, {
    articles: [makeArticle({ slug: 'framed' })],
    env: {
      BYLINE_EMBED_FRAME_ANCESTORS: 'https://a.example https://b.example',
      BYLINE_EMBED_CACHE_SECONDS: '60',
    },
  });

  it('lets only the configured origins frame public cards, cached for the configured time', async () => {
    const response = await fetch(`${gateway.origin}/embed/articles/framed`);
    expect(csp(response).get('frame-ancestors')).toBe('https://a.example https://b.example');
    expect(response.headers.get('cache-control')).toBe('public, max-age=60');
  });
});
