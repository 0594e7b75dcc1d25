import { describe, expect, it } from 'vitest';
import { validateArticleDocument } from '../src/ingest/article-document.ts';
import { describeEachEngine } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { useGateway } from './helpers/use-gateway.ts';
import { previewViewer, testPartner, viewersByHeader } from './helpers/viewers.ts';

const editor = testPartner(7, { scopes: ['editor', 'body'], name: 'Desk CMS' });
const as = (viewer: 'editor' | 'preview' | 'anonymous') => ({ 'x-test-viewer': viewer });

const UPSERT = `mutation ($input: ArticleInput!, $expectedRevision: Int, $replace: Boolean) {
  upsertArticle(input: $input, expectedRevision: $expectedRevision, replace: $replace) {
    outcome revision article { slug canonicalSlug headline revision sourceId updatedAt corrections { at text } }
  }
}`;

/** A document as the API takes it: the content format, unchanged. */
const input = (overrides: Parameters<typeof makeArticle>[0] = {}) => makeArticle(overrides);

describeEachEngine('the write API', (engine) => {
  const gateway = useGateway(engine, {
    viewer: viewersByHeader({ editor, preview: previewViewer }),
  });
  const upsert = (variables: Record<string, unknown>, viewer: 'editor' | 'preview' = 'editor') =>
    gateway.graphql(UPSERT, { variables, headers: as(viewer) });
  const read = async (slug: string, viewer: 'editor' | 'anonymous' = 'anonymous') =>
    (
      await gateway.graphql(
        'query ($slug: String!) { article(slug: $slug) { slug canonicalSlug headline revision corrections { text } } }',
        { variables: { slug }, headers: as(viewer) },
      )
    ).body.data!['article'];

  describe('Mutation.upsertArticle', () => {
    it('creates, then answers unchanged for the same document and updated for a real change, counting revisions', async () => {
      const document = input({ slug: 'api-created', sourceId: 'cms:1' });
      const first = await upsert({ input: document });
      expect(first.body.errors).toBeUndefined();
      expect(first.body.data!['upsertArticle']).toMatchObject({
        outcome: 'CREATED',
        revision: 1,
        article: { slug: 'api-created', revision: 1, sourceId: 'cms:1' },
      });
      const again = await upsert({ input: document });
      expect(again.body.data!['upsertArticle']).toMatchObject({ outcome: 'UNCHANGED', revision: 1 });
      expect(again.body.data!['upsertArticle'].article.updatedAt).toBe(
        first.body.data!['upsertArticle'].article.updatedAt,
      );
      const edited = await upsert({ input: { ...document, headline: 'A better headline' } });
      expect(edited.body.data!['upsertArticle']).toMatchObject({ outcome: 'UPDATED', revision: 2 });
      expect(await read('api-created')).toMatchObject({ headline: 'A better headline', revision: 2 });
    });

    it('refuses bad input with the paths and messages file ingest gives, and writes nothing', async () => {
      const bad = {
        ...input({ slug: 'api-bad' }),
        body: [],
        quotes: [{ key: 'q', text: 'x', speaker: { person: 'nobody' } }],
      };
      const expected = validateArticleDocument(bad);
      expect(expected.ok).toBe(false);
      const { body } = await upsert({ input: bad });
      expect(body.data).toBeNull();
      expect(body.errors![0]!.extensions!['code']).toBe('BAD_USER_INPUT');
      expect(body.errors![0]!.extensions!['problems']).toEqual(!expected.ok && expected.problems);
      expect(body.errors![0]!.message).toContain('$.body: expected at least one block');
      expect(await read('api-bad', 'editor')).toBeNull();
    });

    it('refuses a key without the editor scope, writing nothing', async () => {
      const { body } = await upsert({ input: input({ slug: 'api-no-scope' }) }, 'preview');
      expect(body.errors![0]!.extensions!['code']).toBe('FORBIDDEN');
      expect(body.errors![0]!.message).toContain('"editor" scope');
      expect(await read('api-no-scope', 'editor')).toBeNull();
      const anonymous = await gateway.graphql(UPSERT, { variables: { input: input({ slug: 'api-anon' }) } });
      expect(anonymous.body.errors![0]!.extensions!['code']).toBe('FORBIDDEN');
    });

    it("refuses another story's slug, naming both, and replaces it only when told to", async () => {
      await upsert({ input: input({ slug: 'api-taken', sourceId: 'cms:owner', headline: 'The owner' }) });
      const thief = input({ slug: 'api-taken', sourceId: 'cms:other', headline: 'Another story' });
      const { body } = await upsert({ input: thief });
      expect(body.errors![0]!.extensions!['code']).toBe('CONFLICT');
      expect(body.errors![0]!.message).toMatch(
        /slug "api-taken" belongs to another story, "The owner" \(source id cms:owner\); this document is "Another story" \(source id cms:other\)/,
      );
      expect(await read('api-taken')).toMatchObject({ headline: 'The owner' });
      const replaced = await upsert({ input: thief, replace: true });
      expect(replaced.body.data!['upsertArticle'].outcome).toBe('UPDATED');
      expect(await read('api-taken')).toMatchObject({ headline: 'Another story' });
    });

    it('keeps an old slug as a redirect when the source id arrives with a new one', async () => {
      const document = input({ slug: 'api-old-slug', sourceId: 'cms:renamed' });
      await upsert({ input: document });
      const renamed = await upsert({ input: { ...document, slug: 'api-new-slug' } });
      expect(renamed.body.data!['upsertArticle']).toMatchObject({ outcome: 'UPDATED', revision: 2 });
      expect(await read('api-old-slug')).toMatchObject({
        slug: 'api-new-slug',
        canonicalSlug: 'api-new-slug',
      });
      const page = await fetch(`${gateway.origin}/articles/api-old-slug?ref=x`, { redirect: 'manual' });
      expect(page.status).toBe(301);
      expect(page.headers.get('location')).toBe('/articles/api-new-slug?ref=x');
      const card = await fetch(`${gateway.origin}/embed/articles/api-old-slug`, { redirect: 'manual' });
      expect(card.status).toBe(301);
      expect(card.headers.get('location')).toBe('/embed/articles/api-new-slug');
      const oembed = await fetch(
        `${gateway.origin}/oembed?url=${encodeURIComponent('https://byline.test/articles/api-old-slug')}`,
      );
      expect(oembed.status).toBe(200);
      expect(((await oembed.json()) as { title: string }).title).toBe(document.headline);
    });

    it('gives the later of two concurrent edits of one revision a conflict', async () => {
      const document = input({ slug: 'api-concurrent', sourceId: 'cms:concurrent' });
      await upsert({ input: document });
      const [a, b] = await Promise.all([
        upsert({ input: { ...document, headline: 'Edit A' }, expectedRevision: 1 }),
        upsert({ input: { ...document, headline: 'Edit B' }, expectedRevision: 1 }),
      ]);
      const results = [a, b].map((r) => r.body);
      const won = results.filter((r) => r.data?.['upsertArticle']?.outcome === 'UPDATED');
      const lost = results.filter((r) => r.errors?.[0]?.extensions?.['code'] === 'CONFLICT');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.errors![0]!.message).toMatch(/is at revision 2, this edit was made on revision 1/);
      expect(await read('api-concurrent')).toMatchObject({
        revision: 2,
        headline: won[0]!.data!['upsertArticle'].article.headline,
      });
    });

    it('answers 413 for a document over the body limit, and writes nothing', async () => {
      const huge = input({
        slug: 'api-huge',
        quotes: [],
        body: [
          { type: 'paragraph', text: 'word '.repeat(9000) },
          { type: 'paragraph', text: 'word '.repeat(9000) },
          { type: 'paragraph', text: 'word '.repeat(9000) },
        ],
      });
      const { status, body } = await upsert({ input: huge });
      expect(status).toBe(413);
      expect(JSON.stringify(body)).toContain('PAYLOAD_TOO_LARGE');
      expect(await read('api-huge', 'editor')).toBeNull();
    });

    it('is never sent over GET, and never cached', async () => {
      const query = encodeURIComponent('mutation { unpublishArticle(article: { slug: "x" }) { revision } }');
      const get = await fetch(`${gateway.origin}/graphql?query=${query}`, {
        headers: { 'apollo-require-preflight': 'true', ...as('editor') },
      });
      expect(get.status).toBe(405);
      const post = await upsert({ input: input({ slug: 'api-not-cached' }) });
      expect(post.body.data!['upsertArticle'].outcome).toBe('CREATED');
      // Nothing tells a shared cache it may keep a write's answer.
      expect(post.headers.get('cache-control') ?? 'no-store').toBe('no-store');
      expect(post.headers.get('x-cache')).toBeNull();
    });
  });

  describe('Mutation.upsertArticles', () => {
    it('writes each document on its own: a bad one gets its problems and the others land', async () => {
      const { body } = await gateway.graphql(
        `mutation ($inputs: [ArticleInput!]!) { upsertArticles(inputs: $inputs) {
          index outcome revision article { slug } problems { path message } } }`,
        {
          variables: {
            inputs: [
              input({ slug: 'batch-one' }),
              { ...input({ slug: 'batch-bad' }), headline: '' },
              input({ slug: 'batch-two' }),
            ],
          },
          headers: as('editor'),
        },
      );
      expect(body.errors).toBeUndefined();
      expect(body.data!['upsertArticles']).toEqual([
        { index: 0, outcome: 'CREATED', revision: 1, article: { slug: 'batch-one' }, problems: [] },
        {
          index: 1,
          outcome: null,
          revision: null,
          article: null,
          problems: [{ path: '$.headline', message: 'expected non-empty text' }],
        },
        { index: 2, outcome: 'CREATED', revision: 1, article: { slug: 'batch-two' }, problems: [] },
      ]);
      expect(await read('batch-bad', 'editor')).toBeNull();
    });
  });

  describe('unpublish, correct, change slug', () => {
    const change = (query: string, variables: Record<string, unknown>) =>
      gateway.graphql(query, { variables, headers: as('editor') });

    it('unpublishes: gone for the public, kept for editors', async () => {
      await upsert({ input: input({ slug: 'api-unpublish' }) });
      const { body } = await change(
        'mutation ($slug: String!) { unpublishArticle(article: { slug: $slug }) { outcome revision article { status } } }',
        { slug: 'api-unpublish' },
      );
      expect(body.data!['unpublishArticle']).toEqual({
        outcome: 'UPDATED',
        revision: 2,
        article: { status: 'DRAFT' },
      });
      expect(await read('api-unpublish')).toBeNull();
      expect(await read('api-unpublish', 'editor')).toMatchObject({ revision: 2 });
    });

    it('adds a correction that shows in GraphQL, on the page and in JSON-LD, and moves updatedAt', async () => {
      const created = await upsert({ input: input({ slug: 'api-corrected' }) });
      const before = created.body.data!['upsertArticle'].article.updatedAt;
      const { body } = await change(
        `mutation ($slug: String!, $text: String!) { correctArticle(article: { slug: $slug }, text: $text, expectedRevision: 1) {
          revision article { updatedAt corrections { text } } } }`,
        { slug: 'api-corrected', text: 'An earlier version misspelt the ministry.' },
      );
      expect(body.data!['correctArticle'].revision).toBe(2);
      expect(body.data!['correctArticle'].article.corrections).toEqual([
        { text: 'An earlier version misspelt the ministry.' },
      ]);
      expect(Date.parse(body.data!['correctArticle'].article.updatedAt)).toBeGreaterThan(Date.parse(before));
      const html = await (await fetch(`${gateway.origin}/articles/api-corrected`)).text();
      expect(html).toContain('An earlier version misspelt the ministry.');
      expect(html).toContain('"correction":[{"@type":"CorrectionComment"');
      const card = await (await fetch(`${gateway.origin}/embed/articles/api-corrected`)).text();
      expect(card).toContain('An earlier version misspelt the ministry.');
      const stale = await change(
        'mutation { correctArticle(article: { slug: "api-corrected" }, text: "Again", expectedRevision: 1) { revision } }',
        {},
      );
      expect(stale.body.errors![0]!.extensions!['code']).toBe('CONFLICT');
    });

    it('changes a slug, refusing one another story holds, naming both', async () => {
      await upsert({ input: input({ slug: 'api-slug-a', headline: 'Story A' }) });
      await upsert({ input: input({ slug: 'api-slug-b', headline: 'Story B' }) });
      const refused = await change(
        'mutation { changeArticleSlug(article: { slug: "api-slug-a" }, slug: "api-slug-b") { revision } }',
        {},
      );
      expect(refused.body.errors![0]!.extensions!['code']).toBe('CONFLICT');
      expect(refused.body.errors![0]!.message).toMatch(
        /slug "api-slug-b" belongs to another story, "Story B".*"Story A" keeps "api-slug-a"/,
      );
      const moved = await change(
        'mutation { changeArticleSlug(article: { slug: "api-slug-a" }, slug: "api-slug-c") { article { slug } } }',
        {},
      );
      expect(moved.body.data!['changeArticleSlug'].article.slug).toBe('api-slug-c');
      expect(await read('api-slug-a')).toMatchObject({ canonicalSlug: 'api-slug-c' });
    });

    it('answers NOT_FOUND for an unknown article', async () => {
      const { body } = await change(
        'mutation { unpublishArticle(article: { slug: "no-such-article" }) { revision } }',
        {},
      );
      expect(body.errors![0]!.extensions!['code']).toBe('NOT_FOUND');
      expect(body.errors![0]!.message).toContain('no article with slug "no-such-article"');
    });
  });

  describe('Mutation.takeDownArticle', () => {
    it('keeps a tombstone for editors and refuses a second takedown', async () => {
      await upsert({ input: input({ slug: 'api-takedown' }) });
      const takeDown = () =>
        gateway.graphql(
          'mutation { takeDownArticle(article: { slug: "api-takedown" }, reason: "Court order 12/3") { revision article { takedown { reason by at } } } }',
          { headers: as('editor') },
        );
      const { body } = await takeDown();
      expect(body.data!['takeDownArticle'].article.takedown).toMatchObject({
        reason: 'Court order 12/3',
        by: 'Desk CMS',
      });
      expect(await read('api-takedown')).toBeNull();
      const again = await takeDown();
      expect(again.body.errors![0]!.extensions!['code']).toBe('CONFLICT');
      expect(again.body.errors![0]!.message).toContain('already taken down');
      const edit = await upsert({ input: input({ slug: 'api-takedown' }) });
      expect(edit.body.errors![0]!.message).toContain('a takedown is final');
    });
  });
});

describeEachEngine('cost limits on mutations', (engine) => {
  const gateway = useGateway(engine, {
    viewer: viewersByHeader({ editor: testPartner(8, { scopes: ['editor'], costBudget: 3 }) }),
  });
  it('counts a mutation against the key budget', async () => {
    const { body } = await gateway.graphql(UPSERT, {
      variables: { input: input({ slug: 'over-budget' }) },
      headers: as('editor'),
    });
    expect(body.errors![0]!.extensions!['code']).toBe('QUERY_TOO_COMPLEX');
  });
});
