import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createGateway, type Gateway } from '../src/http/create-gateway.ts';
import { createLogger } from '../src/shared/logger.ts';
import { CHROMIUM_PATH, chromiumAvailable, launchChromium } from './helpers/browser.ts';
import { describeEachEngine, type TestDatabase } from './helpers/engines.ts';
import { hostile, ingestDocuments, makePartner, quoteGlobalId, untyped } from './helpers/embedding.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { freePort } from './helpers/waiting.ts';

const ARTIFACTS = path.resolve('tests/artifacts');
const browserAvailable = chromiumAvailable;
if (!browserAvailable) {
  console.warn(
    `[byline tests] embed browser test skipped: ${CHROMIUM_PATH} is missing (apt-get install -y chromium)`,
  );
}

/** A loopback HTTP server answering from a table of paths. */
async function serve(host: string, routes: Record<string, { type: string; body: string }>) {
  const server = http.createServer((req, res) => {
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname];
    if (!route) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': route.type }).end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://${host}:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

interface InertReport {
  pwned: unknown;
  scripts: string[];
  handlers: string[];
  title: string;
  headline: string | undefined;
  elements: string[];
}

const LEAD_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="450"><rect width="800" height="450" fill="#2b6cb0"/><circle cx="400" cy="225" r="120" fill="#f6e05e"/></svg>`;

describeEachEngine('embedding on a partner site, in Chromium', (engine) => {
  let database: TestDatabase;
  let gateway: Gateway;
  let browser: BrowserContext;
  let publicUrl: string;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  const servers: { close(): Promise<void> }[] = [];
  let partnerOrigin: string;
  let strangerOrigin: string;
  const consoleMessages: string[] = [];

  beforeAll(async () => {
    if (!browserAvailable) return;
    database = await engine.open();
    // The partner's site, on a second loopback address: another origin, as in production.
    const routes: Record<string, { type: string; body: string }> = {
      '/lead.svg': { type: 'image/svg+xml', body: LEAD_SVG },
    };
    const partnerSite = await serve('127.0.0.2', routes);
    servers.push(partnerSite);
    partnerOrigin = partnerSite.origin;

    const ids = await ingestDocuments(database.handle.db, [
      makeArticle({
        slug: 'browser-story',
        headline: 'Night trains return to the coast',
        standfirst: 'Sleeper services restart after a decade.',
        leadImage: { url: `${partnerOrigin}/lead.svg`, credit: 'Photo: Rail Desk', width: 800, height: 450 },
      }),
      hostile,
    ]);
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    const config = loadConfig({ NODE_ENV: 'test', PORT: String(port), BYLINE_PUBLIC_URL: publicUrl });
    gateway = await createGateway({ config, database: database.handle, logger: createLogger('silent') });
    await gateway.listen(port, '127.0.0.1');

    const partner = await makePartner(database.handle.db, { name: 'Coast Times', origins: [partnerOrigin] });
    const oembed = async (url: string) => {
      const response = await fetch(`${publicUrl}/oembed?url=${encodeURIComponent(url)}&maxwidth=640`, {
        headers: { 'x-api-key': partner.key },
      });
      expect(response.status).toBe(200);
      return (await response.json().then(untyped)).html as string;
    };
    const storyQuote = await quoteGlobalId(database.handle.db, ids.get('browser-story')!, 0);
    const hostileQuote = await quoteGlobalId(database.handle.db, ids.get('hostile-content')!, 0);
    const snippets = {
      article: await oembed(`${publicUrl}/articles/browser-story`),
      quote: await oembed(`${publicUrl}/quotes/${storyQuote}`),
      hostile: await oembed(`${publicUrl}/articles/hostile-content`),
      hostileQuote: await oembed(`${publicUrl}/quotes/${hostileQuote}`),
    };
    const page = (title: string) =>
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>` +
      `<body style="margin:8px;font-family:sans-serif"><h1>${title}</h1>` +
      Object.entries(snippets)
        .map(([id, html]) => `<section id="${id}">${html}</section>`)
        .join('\n') +
      '</body></html>';
    routes['/'] = { type: 'text/html; charset=utf-8', body: page('Coast Times') };

    // A site that is not the partner, framing the partner's cards: frame-ancestors must refuse it.
    const stranger = await serve('127.0.0.1', {
      '/': {
        type: 'text/html; charset=utf-8',
        body: `<!doctype html><title>Stranger</title>${snippets.article}`,
      },
    });
    servers.push(stranger);
    strangerOrigin = stranger.origin;

    chromium = await launchChromium();
    browser = chromium.context;
    await mkdir(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await chromium?.close();
    for (const server of servers) await server.close();
    await gateway?.close(1000);
    await database?.drop();
  });

  async function openPage(url: string, width: number): Promise<Page> {
    const page = await browser.newPage();
    await page.setViewportSize({ width, height: 900 });
    page.on('console', (message) => consoleMessages.push(message.text()));
    page.on('pageerror', (error) => consoleMessages.push(`pageerror: ${error.message}`));
    page.on('dialog', (dialog) => {
      consoleMessages.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    await page.goto(url);
    return page;
  }

  async function frameText(page: Page, section: string, selector: string): Promise<string> {
    await page.locator(`#${section} iframe`).scrollIntoViewIfNeeded();
    const element = page.frameLocator(`#${section} iframe`).locator(selector);
    await element.waitFor({ timeout: 10_000 });
    return (await element.textContent()) ?? '';
  }

  it.skipIf(!browserAvailable)(
    'renders the article headline and the quote inside the oEmbed iframes, at 1200 and 320 px',
    async () => {
      for (const width of [1200, 320]) {
        const page = await openPage(`${partnerOrigin}/`, width);
        expect(await frameText(page, 'article', 'h1')).toBe('Night trains return to the coast');
        expect(await frameText(page, 'article', '.standfirst')).toBe(
          'Sleeper services restart after a decade.',
        );
        expect(await frameText(page, 'quote', 'blockquote')).toBe('“The first thing said.”');
        expect(await frameText(page, 'quote', '.speaker')).toContain('Dr. Sam Source');
        // Readable: nothing inside the card is wider than its frame.
        const frame = page.frames().find((f) => f.url().includes('/embed/articles/browser-story'))!;
        const overflow = await frame.evaluate<number>(
          'document.documentElement.scrollWidth - window.innerWidth',
        );
        expect(overflow).toBeLessThanOrEqual(0);
        // The lead image came from its stored URL and painted.
        await frame.waitForFunction("document.querySelector('img')?.complete", undefined, {
          timeout: 10_000,
        });
        const painted = await frame.evaluate<number>(
          "(() => { const img = document.querySelector('img'); return img.complete ? img.naturalWidth : 0; })()",
        );
        expect(painted).toBe(800);
        for (const section of ['hostile', 'hostileQuote']) await frameText(page, section, '.more');
        // Chromium does not paint off-screen cross-origin frames: show the whole page in the viewport.
        const height = await page.evaluate<number>('document.documentElement.scrollHeight');
        await page.setViewportSize({ width, height });
        await page.evaluate('window.scrollTo(0, 0)');
        for (const section of ['article', 'quote']) await frameText(page, section, '.more');
        await page.screenshot({ path: path.join(ARTIFACTS, `embed-partner-${width}-${engine.name}.png`) });
        await page.close();
      }
    },
  );

  it.skipIf(!browserAvailable)(
    'lays the card out for 320 px and for 1200 px when opened on its own',
    async () => {
      for (const width of [320, 1200]) {
        const page = await openPage(`${publicUrl}/embed/articles/browser-story`, width);
        expect(await page.locator('h1').textContent()).toBe('Night trains return to the coast');
        expect(
          await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth'),
        ).toBeLessThanOrEqual(0);
        // Wide screens put the image beside the text, narrow ones above it.
        const imageBox = (await page.locator('img').boundingBox())!;
        const headlineBox = (await page.locator('h1').boundingBox())!;
        if (width === 1200) expect(headlineBox.x).toBeGreaterThanOrEqual(imageBox.x + imageBox.width);
        else expect(headlineBox.y).toBeGreaterThanOrEqual(imageBox.y + imageBox.height);
        // The credit stays on screen with its image.
        const credit = (await page.locator('figcaption').boundingBox())!;
        expect(await page.locator('figcaption').textContent()).toBe('Photo: Rail Desk');
        expect(credit.y).toBeGreaterThanOrEqual(imageBox.y + imageBox.height);
        expect(credit.height).toBeGreaterThan(0);
        await page.screenshot({ path: path.join(ARTIFACTS, `embed-card-${width}-${engine.name}.png`) });
        await page.close();
      }
    },
  );

  it.skipIf(!browserAvailable)(
    'keeps hostile content as text: nothing runs, nothing escapes its element',
    async () => {
      const page = await openPage(`${partnerOrigin}/`, 1200);
      expect(await frameText(page, 'hostile', 'h1')).toBe(hostile.headline);
      expect(await frameText(page, 'hostile', '.standfirst')).toBe(hostile.standfirst);
      expect(await frameText(page, 'hostileQuote', 'blockquote')).toBe(`“${hostile.quotes![0]!.text}”`);
      await page.close();
      // Also as a top-level page, where the iframe sandbox does not help: escaping alone must hold.
      for (const embed of ['/embed/articles/hostile-content', '/articles/hostile-content']) {
        const direct = await openPage(publicUrl + embed, 1200);
        // Page code as a string: the test's TypeScript has no DOM types.
        const found = await direct.evaluate<InertReport>(`({
        pwned: window.__pwned ?? null,
        scripts: [...document.scripts].map((s) => s.type),
        handlers: [...document.querySelectorAll('*')].flatMap((el) =>
          [...el.attributes].filter((a) => a.name.startsWith('on')).map((a) => el.tagName + '.' + a.name)),
        title: document.title,
        headline: document.querySelector('h1')?.textContent,
        elements: [...document.body.querySelectorAll('*')].map((el) => el.tagName.toLowerCase()),
      })`);
        expect(found.pwned).toBeNull();
        // A card also runs its height script (an inline script without a type), allowed by its hash.
        expect(found.scripts).toEqual(
          embed.startsWith('/embed/') ? ['application/ld+json', ''] : ['application/ld+json'],
        );
        expect(found.handlers).toEqual([]);
        expect(found.headline).toBe(hostile.headline);
        expect(found.title).toBe(`${hostile.headline} — Byline`);
        expect(found.elements.filter((tag) => ['script', 'b', 'iframe', 'svg'].includes(tag))).toEqual(
          embed.startsWith('/embed/') ? ['script'] : [],
        );
        await direct.close();
      }
      // No script was even attempted (CSP would have reported it), and JSON-LD needed no script-src.
      expect(
        consoleMessages.filter(
          (m) => /Content Security Policy|pageerror|dialog/i.test(m) && !/frame-ancestors/.test(m),
        ),
      ).toEqual([]);
    },
  );

  it.skipIf(!browserAvailable)(
    'refuses to let another site frame the partner’s card (frame-ancestors)',
    async () => {
      const page = await browser.newPage();
      const refused = page.waitForEvent('console', {
        predicate: (message) => message.text().includes('frame-ancestors'),
        timeout: 10_000,
      });
      await page.goto(`${strangerOrigin}/`);
      expect((await refused).text()).toMatch(/violates.*Content Security Policy.*frame-ancestors /);
      const frame = page.frames().find((f) => f.url().includes('/embed/articles/browser-story'));
      // The frame exists but its document was blocked: no headline ever renders in it.
      const headline = frame ? await frame.locator('h1').count() : 0;
      expect(headline).toBe(0);
      await page.screenshot({ path: path.join(ARTIFACTS, `embed-stranger-blocked-${engine.name}.png`) });
      await page.close();
    },
  );
});
