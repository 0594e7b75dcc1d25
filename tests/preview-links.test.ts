import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/main.ts';
import { signPreviewToken, verifyPreviewToken } from '../src/modules/lifecycle/index.ts';
import { describeEachEngine, describePostgres } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { byline } from './helpers/cli.ts';
import type { GatewayFixture } from './helpers/use-gateway.ts';
import { useDatabase, useGateway } from './helpers/use-gateway.ts';
import { previewViewer, testPartner, viewersByHeader } from './helpers/viewers.ts';

const SECRET = 'preview-links-test-secret-0123456789abcdef';
const editor = testPartner(7, { scopes: ['editor', 'body'], name: 'Desk CMS' });
const asEditor = { 'x-test-viewer': 'editor' };
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

const draft = makeArticle({ slug: 'preview-draft', headline: 'Draft headline for preview', status: 'draft' });
const otherDraft = makeArticle({ slug: 'preview-other-draft', headline: 'Another draft', status: 'draft' });
const embargoed = makeArticle({
  slug: 'preview-embargoed',
  headline: 'Embargoed headline',
  publishedAt: '2099-01-01T00:00:00Z',
});
const published = makeArticle({ slug: 'preview-published', headline: 'Published headline' });
const articles = [draft, otherDraft, embargoed, published];

const MINT = `mutation ($slug: String!, $expiresIn: Int) {
  createPreviewLink(article: { slug: $slug }, expiresIn: $expiresIn) { token expiresAt url embedUrl article { slug } }
}`;
const READ = `query ($slug: String!) { article(slug: $slug) { slug headline } }`;

async function mint(gateway: GatewayFixture, slug: string, expiresIn?: number) {
  const answer = await gateway.graphql(MINT, { variables: { slug, expiresIn }, headers: asEditor });
  expect(answer.body.errors).toBeUndefined();
  return answer.body.data!['createPreviewLink'] as {
    token: string;
    expiresAt: string;
    url: string;
    embedUrl: string;
  };
}

async function readWith(gateway: GatewayFixture, slug: string, token?: string) {
  return gateway.graphql(READ, { variables: { slug }, headers: token ? { 'byline-preview': token } : {} });
}

async function page(gateway: GatewayFixture, path: string) {
  const response = await fetch(`${gateway.origin}${path}`);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describeEachEngine('preview links', (engine) => {
  const gateway = useGateway(engine, {
    articles,
    viewer: viewersByHeader({ editor, preview: previewViewer }),
    env: { BYLINE_PREVIEW_SECRET: SECRET },
  });

  describe('Mutation.createPreviewLink', () => {
    it('mints a token that opens the draft through GraphQL, read-only, private and unindexed', async () => {
      expect((await readWith(gateway, 'preview-draft')).body.data!['article']).toBeNull();
      const link = await mint(gateway, 'preview-draft');
      expect(link.url).toBe(
        `https://byline.test/articles/preview-draft?preview=${encodeURIComponent(link.token)}`,
      );
      expect(link.embedUrl).toContain('/embed/articles/preview-draft?preview=');
      const expiresIn = Date.parse(link.expiresAt) - Date.now();
      expect(expiresIn).toBeGreaterThan(3500_000);
      expect(expiresIn).toBeLessThanOrEqual(3600_000);
      const answer = await readWith(gateway, 'preview-draft', link.token);
      expect(answer.status).toBe(200);
      expect(answer.body.data!['article']).toEqual({
        slug: 'preview-draft',
        headline: 'Draft headline for preview',
      });
      expect(answer.headers.get('cache-control')).toBe('private, no-store');
      expect(answer.headers.get('x-robots-tag')).toBe('noindex');
      const write = await gateway.graphql(
        `mutation { unpublishArticle(article: { slug: "preview-published" }) { revision } }`,
        { headers: { 'byline-preview': link.token } },
      );
      expect(write.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    });

    it('opens that article alone: other drafts stay hidden, published ones stay visible', async () => {
      const { token } = await mint(gateway, 'preview-draft');
      expect((await readWith(gateway, 'preview-other-draft', token)).body.data!['article']).toBeNull();
      expect((await readWith(gateway, 'preview-embargoed', token)).body.data!['article']).toBeNull();
      expect((await readWith(gateway, 'preview-published', token)).body.data!['article']).toMatchObject({
        slug: 'preview-published',
      });
      const list = await gateway.graphql('{ articles(first: 50) { nodes { slug } } }', {
        headers: { 'byline-preview': token },
      });
      const slugs = (list.body.data!['articles'] as { nodes: { slug: string }[] }).nodes.map((n) => n.slug);
      expect(slugs).toContain('preview-draft');
      expect(slugs).not.toContain('preview-other-draft');
      expect(slugs).not.toContain('preview-embargoed');
    });

    it('opens the canonical page and the embed card of an embargoed article', async () => {
      const link = await mint(gateway, 'preview-embargoed');
      const path = (url: string) => new URL(url).pathname + new URL(url).search;
      expect((await page(gateway, '/embed/articles/preview-embargoed')).status).toBe(404);
      for (const url of [link.url, link.embedUrl]) {
        const answer = await page(gateway, path(url));
        expect(answer.status).toBe(200);
        expect(answer.text).toContain('Embargoed headline');
        expect(answer.headers.get('cache-control')).toBe('private, no-store');
        expect(answer.headers.get('x-robots-tag')).toBe('noindex');
      }
    });

    it('refuses a key without the editor scope', async () => {
      const answer = await gateway.graphql(MINT, {
        variables: { slug: 'preview-draft' },
        headers: { 'x-test-viewer': 'preview' },
      });
      expect(answer.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
      expect(answer.body.errors?.[0]?.message).toContain('editor');
    });

    it('refuses an expiry over 7 days naming the argument', async () => {
      const answer = await gateway.graphql(MINT, {
        variables: { slug: 'preview-draft', expiresIn: 7 * 86400 + 1 },
        headers: asEditor,
      });
      expect(answer.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
      expect(answer.body.errors?.[0]?.message).toContain('expiresIn');
    });
  });

  describe('a token that does not hold', () => {
    const refusedGraphQL = async (token: string, reason: RegExp) => {
      const answer = await readWith(gateway, 'preview-draft', token);
      expect(answer.status).toBe(401);
      expect(answer.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
      expect(answer.body.errors?.[0]?.message).toMatch(reason);
      expect(answer.body.data).toBeUndefined();
      const html = await page(gateway, `/articles/preview-draft?preview=${encodeURIComponent(token)}`);
      expect(html.status).toBe(401);
      expect(html.headers.get('content-type')).toContain('text/html');
      expect(html.text).toMatch(reason);
      expect(html.text).not.toContain('Draft headline');
    };

    it('answers 401 for an expired token', async () => {
      const id = gateway.articleIds.get('preview-draft')!;
      const past = Math.floor(Date.now() / 1000) - 60;
      await refusedGraphQL(signPreviewToken(SECRET, { articleId: id, epoch: 0, expiresAt: past }), /expired/);
    });

    it('answers 401 for a tampered token', async () => {
      const { token } = await mint(gateway, 'preview-draft');
      const [version, payload, mac] = token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      const forged = Buffer.from(
        JSON.stringify({ ...claims, a: gateway.articleIds.get('preview-other-draft') }),
      ).toString('base64url');
      await refusedGraphQL(`${version}.${forged}.${mac}`, /signature does not match/);
      await refusedGraphQL(
        signPreviewToken('another-secret-of-at-least-32-chars!', claimsOf(token)),
        /signature/,
      );
    });

    it('answers 401 for a malformed token', async () => {
      await refusedGraphQL('not-a-token', /malformed/);
    });

    it('answers 401 on another article’s page, never that page in its place', async () => {
      const { token } = await mint(gateway, 'preview-draft');
      for (const path of ['/articles/preview-published', '/embed/articles/preview-other-draft']) {
        const html = await page(gateway, `${path}?preview=${encodeURIComponent(token)}`);
        expect(html.status).toBe(401);
        expect(html.text).toContain('another article');
        expect(html.text).not.toContain('Published headline');
      }
    });

    it('answers 401 once the article’s links are revoked; a link minted afterwards works', async () => {
      const { token } = await mint(gateway, 'preview-other-draft');
      expect((await readWith(gateway, 'preview-other-draft', token)).body.data!['article']).not.toBeNull();
      const revoked = await gateway.graphql(
        'mutation { revokePreviewLinks(article: { slug: "preview-other-draft" }) { slug } }',
        { headers: asEditor },
      );
      expect(revoked.body.errors).toBeUndefined();
      const answer = await readWith(gateway, 'preview-other-draft', token);
      expect(answer.status).toBe(401);
      expect(answer.body.errors?.[0]?.message).toMatch(/revoked/);
      const fresh = await mint(gateway, 'preview-other-draft');
      expect(
        (await readWith(gateway, 'preview-other-draft', fresh.token)).body.data!['article'],
      ).toMatchObject({
        slug: 'preview-other-draft',
      });
    });

    it('keeps a taken-down article gone, token or not', async () => {
      const doomed = makeArticle({ slug: 'preview-doomed', status: 'draft' });
      const created = await gateway.graphql(
        'mutation ($input: ArticleInput!) { upsertArticle(input: $input) { revision } }',
        { variables: { input: doomed }, headers: asEditor },
      );
      expect(created.body.errors).toBeUndefined();
      const link = await mint(gateway, 'preview-doomed');
      const down = await gateway.graphql(
        'mutation { takeDownArticle(article: { slug: "preview-doomed" }, reason: "Court order") { revision } }',
        { headers: asEditor },
      );
      expect(down.body.errors).toBeUndefined();
      expect((await readWith(gateway, 'preview-doomed', link.token)).body.data!['article']).toBeNull();
      expect((await page(gateway, new URL(link.url).pathname + new URL(link.url).search)).status).toBe(410);
      const again = await gateway.graphql(MINT, { variables: { slug: 'preview-doomed' }, headers: asEditor });
      expect(again.body.errors?.[0]?.extensions?.['code']).toBe('CONFLICT');
    });
  });
});

function claimsOf(token: string) {
  const verified = verifyPreviewToken(SECRET, token);
  if (!verified.ok) throw new Error(verified.reason);
  return verified.claims;
}

describePostgres('preview links and the response cache', (engine) => {
  const gateway = useGateway(engine, {
    articles,
    env: (database) => ({ DATABASE_URL: database.url!, BYLINE_PREVIEW_SECRET: SECRET }),
  });
  const get = async (slug: string, headers: Record<string, string> = {}) => {
    const search = new URLSearchParams({ query: READ, variables: JSON.stringify({ slug }) });
    const response = await fetch(`${gateway.origin}/graphql?${search}`, {
      headers: { 'apollo-require-preflight': 'true', ...headers },
    });
    return {
      cache: response.headers.get('x-cache'),
      headers: response.headers,
      body: (await response.json()) as { data: { article: unknown } },
    };
  };

  it('never looks a preview up in the cache nor stores it, and the public answer stays public', async () => {
    const token = signPreviewToken(SECRET, {
      articleId: gateway.articleIds.get('preview-draft')!,
      epoch: 0,
      expiresAt: inAnHour(),
    });
    const before = await get('preview-draft');
    expect(before.cache).toBe('MISS');
    expect(before.body.data.article).toBeNull();
    expect((await get('preview-draft')).cache).toBe('HIT');
    for (let i = 0; i < 2; i += 1) {
      const preview = await get('preview-draft', { 'byline-preview': token });
      expect(preview.cache).toBeNull();
      expect(preview.body.data.article).toMatchObject({ headline: 'Draft headline for preview' });
      expect(preview.headers.get('cache-control')).toBe('private, no-store');
      expect(preview.headers.get('x-robots-tag')).toBe('noindex');
    }
    const after = await get('preview-draft');
    expect(after.cache).toBe('HIT');
    expect(after.body.data.article).toBeNull();
  });
});

describeEachEngine('preview links in production without BYLINE_PREVIEW_SECRET', (engine) => {
  const gateway = useGateway(engine, {
    articles: [draft],
    viewer: viewersByHeader({ editor }),
    env: { NODE_ENV: 'production' },
  });

  it('refuses to mint, naming the variable', async () => {
    const answer = await gateway.graphql(MINT, { variables: { slug: 'preview-draft' }, headers: asEditor });
    expect(answer.body.errors?.[0]?.extensions?.['code']).toBe('PREVIEW_LINKS_DISABLED');
    expect(answer.body.errors?.[0]?.message).toContain('BYLINE_PREVIEW_SECRET');
  });

  it('answers 401 to any token, naming the variable', async () => {
    const token = signPreviewToken(SECRET, { articleId: 1, epoch: 0, expiresAt: inAnHour() });
    const answer = await readWith(gateway, 'preview-draft', token);
    expect(answer.status).toBe(401);
    expect(answer.body.errors?.[0]?.message).toContain('BYLINE_PREVIEW_SECRET');
  });
});

describePostgres('byline preview, on the database directly', (engine) => {
  const fixture = useDatabase(engine, { articles: [draft] });
  const SLOW = 180_000; // each run boots Node
  const env = async (extra: Record<string, string> = {}) => ({
    DATABASE_URL: fixture.database.url!,
    // No server of this machine's on PORT may take the write.
    BYLINE_RUNTIME_DIR: await mkdtemp(path.join(tmpdir(), 'byline-preview-runtime-')),
    BYLINE_PREVIEW_SECRET: '',
    ...extra,
  });

  it(
    'prints a page and embed link whose token opens the article, and --revoke bumps its epoch',
    async () => {
      const minted = await byline(
        ['preview', 'preview-draft', '--expires', '2h'],
        await env({ BYLINE_PREVIEW_SECRET: SECRET }),
      );
      expect(minted.stderr).toBe('');
      expect(minted.code).toBe(EXIT.ok);
      expect(minted.stdout).toContain('/articles/preview-draft?preview=');
      expect(minted.stdout).toContain('/embed/articles/preview-draft?preview=');
      const token = /token {2}(\S+)/.exec(minted.stdout)![1]!;
      const claims = claimsOf(token);
      expect(claims.articleId).toBe(fixture.articleIds.get('preview-draft'));
      expect(claims.expiresAt - Date.now() / 1000).toBeGreaterThan(7000);
      const revoked = await byline(['preview', 'preview-draft', '--revoke'], await env());
      expect(revoked.code).toBe(EXIT.ok);
      const row = await fixture.db
        .selectFrom('articles')
        .select('preview_epoch')
        .where('slug', '=', 'preview-draft')
        .executeTakeFirstOrThrow();
      expect(row.preview_epoch).toBe(claims.epoch + 1);
    },
    SLOW,
  );

  it(
    'refuses without BYLINE_PREVIEW_SECRET, and an expiry over 7 days',
    async () => {
      const [unsigned, tooLong] = await Promise.all([
        env().then((vars) => byline(['preview', 'preview-draft'], vars)),
        env({ BYLINE_PREVIEW_SECRET: SECRET }).then((vars) =>
          byline(['preview', 'preview-draft', '--expires', '8d'], vars),
        ),
      ]);
      expect(unsigned.code).toBe(EXIT.config);
      expect(unsigned.stderr).toContain('BYLINE_PREVIEW_SECRET');
      expect(tooLong.code).toBe(EXIT.usage);
      expect(tooLong.stderr).toContain('--expires');
    },
    SLOW,
  );
});
