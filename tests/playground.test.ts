import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPartner } from '../src/modules/partners/index.ts';
import { chromiumAvailable, launchChromium } from './helpers/browser.ts';
import { engines, type TestDatabase } from './helpers/engines.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

const HEADLINE = 'Russia-North Korea Pact Major Loss For US Allies in Region';
const ARTIFACTS = new URL('./artifacts/', import.meta.url);

// One engine is enough: the playground is a page over the same API the other suites test on both.
const engine = engines[0]!;

describe('GET /playground', () => {
  let database: TestDatabase;
  const gateways: TestGateway[] = [];
  const start = async (env: Record<string, string>) => {
    const gateway = await startTestGateway(database, { env });
    gateways.push(gateway);
    return gateway;
  };
  beforeAll(async () => {
    database = await engine.open();
  });
  afterAll(async () => {
    for (const gateway of gateways) await gateway.close();
    await database?.drop();
  });

  it('serves GraphiQL, its scripts and styles from this origin, with the example operations as tabs', async () => {
    const { origin } = await start({});
    const response = await fetch(`${origin}/playground`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await response.text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(sources.filter((s) => !s.startsWith('/playground/assets/') && s !== 'data:,')).toEqual([]);
    for (const source of sources.filter((s) => s.startsWith('/'))) {
      expect((await fetch(origin + source)).status, source).toBe(200);
    }
    expect(html).toContain('query ArticlePage($slug: String!)');
    expect(html).toContain('query SectionFront(');
    expect(html).toContain('query PersonPage(');
    // Subscriptions go over WebSocket to /graphql on this host, with the graphql-ws client served here.
    expect(html).toContain('"subscriptionEndpoint":"/graphql"');
    expect(sources).toContain('/playground/assets/graphql-ws.min.js');
  });

  it('is off in production unless BYLINE_PLAYGROUND=true', async () => {
    const off = await start({ NODE_ENV: 'production' });
    expect((await fetch(`${off.origin}/playground`)).status).toBe(404);
    expect((await fetch(`${off.origin}/playground/assets/graphiql.min.js`)).status).toBe(404);
    const on = await start({ NODE_ENV: 'production', BYLINE_PLAYGROUND: 'true' });
    expect((await fetch(`${on.origin}/playground`)).status).toBe(200);
  });

  it('lets the playground user see extensions.timing and extensions.sql outside production only', async () => {
    const dev = await start({ NODE_ENV: 'development' });
    const { body } = await dev.graphql('{ sections { name } }');
    expect(body.extensions).toEqual({
      timing: { durationMs: expect.any(Number) },
      sql: { statements: 1, durationMs: expect.any(Number), roundTrips: 1 },
      cost: { requested: expect.any(Number), limit: 5000 },
    });
    const production = await start({ NODE_ENV: 'production', BYLINE_PLAYGROUND: 'true' });
    const quiet = await production.graphql('{ sections { name } }');
    expect(quiet.body.data).toEqual({ sections: [] });
    // Only the cost, which every caller sees (docs/security.md); no timing or SQL in production.
    expect(quiet.body.extensions).toEqual({ cost: { requested: expect.any(Number), limit: 5000 } });
  });

  it('answers a browser at /graphql with the playground in development, and API clients with GraphQL', async () => {
    const dev = await start({ NODE_ENV: 'development' });
    const page = await fetch(`${dev.origin}/graphql`, { headers: { accept: 'text/html,*/*;q=0.8' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Byline playground');
    const api = await fetch(`${dev.origin}/graphql?query=%7B__typename%7D`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(await api.json()).toEqual(expect.objectContaining({ data: { __typename: 'Query' } }));

    const test = await start({ NODE_ENV: 'test' });
    const notDev = await fetch(`${test.origin}/graphql`, { headers: { accept: 'text/html' } });
    expect(await notDev.text()).not.toContain('Byline playground');
  });
});

describe.skipIf(!chromiumAvailable)('the playground in Chromium', () => {
  let database: TestDatabase;
  let gateway: TestGateway;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let apiKey: string;
  beforeAll(async () => {
    database = await engine.open({ demo: true });
    gateway = await startTestGateway(database);
    // A real partner key: the gateway refuses made-up ones with 401.
    ({ key: apiKey } = await createPartner(database.handle.db, {
      name: 'Playground tester',
      scopes: ['body'],
    }));
    chromium = await launchChromium({ viewport: { width: 1400, height: 900 } });
  });
  afterAll(async () => {
    await chromium?.close();
    await gateway?.close();
    await database?.drop();
  });

  it('runs the article-page example and shows the article, loading nothing from outside 127.0.0.1', async () => {
    const page = await chromium.context.newPage();
    const requested: string[] = [];
    const apiKeys: (string | undefined)[] = [];
    const problems: string[] = [];
    page.on('request', (request) => {
      requested.push(request.url());
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/graphql') {
        apiKeys.push(request.headers()['x-api-key']);
      }
    });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto(`${gateway.origin}/playground`);
    await page.locator('.graphiql-container').waitFor();
    // The first tab is the first example in file-name order: article-page.graphql.
    await expect.poll(() => page.locator('.graphiql-tab-active').textContent()).toContain('ArticlePage');
    await page.locator('#byline-api-key').fill(apiKey);
    await page.locator('.graphiql-execute-button').click();
    await page.waitForFunction(
      // Runs in the page: `document` there, typed loosely here (the tests compile without the DOM lib).
      (headline) =>
        (
          globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }
        ).document
          .querySelector('.result-window')
          ?.textContent.includes(headline),
      HEADLINE,
    );
    const result = await page.locator('.result-window').textContent();
    expect(result).toContain(`"headline": "${HEADLINE}"`);
    expect(apiKeys.at(-1)).toBe(apiKey);

    // The docs explorer is one click away and lists the schema's entry points.
    await page.locator('button[aria-label="Show Documentation Explorer"]').click();
    await page.locator('.graphiql-doc-explorer').getByText('Query').first().waitFor();

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('playground.png', ARTIFACTS).pathname });

    // The history remembers what ran.
    await page.locator('button[aria-label="Show History"]').click();
    await page.locator('.graphiql-history').getByText('ArticlePage').first().waitFor();

    const outside = requested.filter((url) => {
      const parsed = new URL(url);
      return parsed.protocol !== 'data:' && parsed.hostname !== '127.0.0.1';
    });
    expect(outside).toEqual([]);
    expect(requested.length).toBeGreaterThan(5);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('runs a subscription over WebSocket and shows a change as it is committed', async () => {
    const page = await chromium.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    await page.goto(`${gateway.origin}/playground`);
    await page.locator('.graphiql-container').waitFor();
    await page.locator('#byline-api-key').fill(apiKey);
    const editor = page.locator('.graphiql-query-editor .CodeMirror').first();
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText('subscription Live { changes { cursor node { type slug } } }');
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(() => sockets.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const slug = 'playground-live-story';
    const { ingestDocuments } = await import('./helpers/embedding.ts');
    const { makeArticle } = await import('./helpers/fixtures.ts');
    // Until the subscription is registered a change could come before it: write until one shows.
    await expect
      .poll(
        async () => {
          await ingestDocuments(database.handle.db, [makeArticle({ slug, headline: `Live ${Date.now()}` })]);
          return page.locator('.result-window').textContent();
        },
        { timeout: 20_000, interval: 500 },
      )
      .toContain(`"slug": "${slug}"`);
    expect(sockets[0]).toBe(`${gateway.origin.replace(/^http/, 'ws')}/graphql`);
    expect(problems).toEqual([]);
    await page.close();
  });
});
