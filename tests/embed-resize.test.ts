import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { BrowserContext, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createGateway, type Gateway } from '../src/http/create-gateway.ts';
import { createLogger } from '../src/shared/logger.ts';
import { CHROMIUM_PATH, chromiumAvailable, launchChromium } from './helpers/browser.ts';
import { engines, type TestDatabase } from './helpers/engines.ts';
import { ingestDocuments, quoteGlobalId, untyped } from './helpers/embedding.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { eventually, freePort } from './helpers/waiting.ts';

const ARTIFACTS = path.resolve('tests/artifacts');
if (!chromiumAvailable) {
  console.warn(
    `[byline tests] embed resize test skipped: ${CHROMIUM_PATH} is missing (apt-get install -y chromium)`,
  );
}

/** A blank band under the card taller than this is what the resizer exists to remove. */
const MAX_BLANK_PX = 16;
const WIDTHS = [320, 600, 1200];

const LEAD_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="900"><rect width="1600" height="900" fill="#2b6cb0"/><circle cx="800" cy="450" r="240" fill="#f6e05e"/></svg>`;
const LONG_QUOTE =
  'Harbours are where a town meets the rest of the world, and when the ferries stopped we lost more than a timetable. ' +
  'We lost the early market, the late post and the habit of looking outward. Bringing the boats back is a start, ' +
  'but the harder work is persuading a generation that grew up without them that the sea is a road again, ' +
  'not a wall, and that the road runs both ways: out for work and study, and back for everything else.';

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

interface Fit {
  /** The iframe's content box height on the partner page, and the card's height inside it. */
  frameHeight: number;
  cardHeight: number;
  /** The card document's scroll size beyond its viewport: positive means an inner scrollbar. */
  overflowY: number;
  overflowX: number;
}

describe.skipIf(!chromiumAvailable)('embed cards sized to their content, in Chromium', () => {
  const engine = engines[0]!;
  let database: TestDatabase;
  let gateway: Gateway;
  let browser: BrowserContext;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let partnerOrigin: string;
  let publicUrl: string;
  const servers: { close(): Promise<void> }[] = [];
  const snippets: Record<string, string> = {};
  const cardPaths: Record<string, string> = {};

  beforeAll(async () => {
    database = await engine.open();
    const routes: Record<string, { type: string; body: string }> = {
      '/lead.svg': { type: 'image/svg+xml', body: LEAD_SVG },
    };
    const partnerSite = await serve('127.0.0.2', routes);
    servers.push(partnerSite);
    partnerOrigin = partnerSite.origin;

    const ids = await ingestDocuments(database.handle.db, [
      makeArticle({
        slug: 'short-story',
        headline: 'Ferries return',
        standfirst: undefined,
        authors: [],
        leadImage: undefined,
        quotes: [{ key: 'q1', text: 'Yes.', speaker: { person: 'sam-source' } }],
        organizations: [],
        relatedLinks: [],
        body: [{ type: 'paragraph', text: '“Yes,” Sam Source said.', quotes: ['q1'] }],
      }),
      makeArticle({
        slug: 'long-story',
        headline:
          'After a decade without a boat, the island towns of the northern coast get their ferries, their markets and their late post back',
        standfirst: `${LONG_QUOTE} ${LONG_QUOTE}`,
        leadImage: {
          url: `${partnerOrigin}/lead.svg`,
          credit: 'Illustration: Coast Desk',
          width: 1600,
          height: 900,
        },
        quotes: [
          {
            key: 'q1',
            text: LONG_QUOTE,
            speaker: { person: 'sam-source' },
            context: 'at the reopening of the harbour office',
          },
        ],
        organizations: [],
        relatedLinks: [],
        body: [{ type: 'paragraph', text: `“${LONG_QUOTE}”`, quotes: ['q1'] }],
      }),
    ]);
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    const config = loadConfig({ NODE_ENV: 'test', PORT: String(port), BYLINE_PUBLIC_URL: publicUrl });
    gateway = await createGateway({ config, database: database.handle, logger: createLogger('silent') });
    await gateway.listen(port, '127.0.0.1');

    const oembed = async (url: string) => {
      const response = await fetch(`${publicUrl}/oembed?url=${encodeURIComponent(url)}`);
      expect(response.status).toBe(200);
      return (await response.json().then(untyped)).html as string;
    };
    const quotes = {
      shortQuote: await quoteGlobalId(database.handle.db, ids.get('short-story')!, 0),
      longQuote: await quoteGlobalId(database.handle.db, ids.get('long-story')!, 0),
    };
    Object.assign(snippets, {
      shortArticle: await oembed(`${publicUrl}/articles/short-story`),
      longArticle: await oembed(`${publicUrl}/articles/long-story`),
      shortQuote: await oembed(`${publicUrl}/quotes/${quotes.shortQuote}`),
      longQuote: await oembed(`${publicUrl}/quotes/${quotes.longQuote}`),
    });
    Object.assign(cardPaths, {
      shortArticle: '/embed/articles/short-story',
      longArticle: '/embed/articles/long-story',
      shortQuote: `/embed/quotes/${quotes.shortQuote}`,
      longQuote: `/embed/quotes/${quotes.longQuote}`,
    });
    const page = (sections: Record<string, string>) =>
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Coast Times</title></head>` +
      `<body style="margin:8px;font-family:sans-serif">` +
      Object.entries(sections)
        .map(([id, html]) => `<section id="${id}">${html}</section>`)
        .join('\n') +
      '</body></html>';
    routes['/'] = { type: 'text/html; charset=utf-8', body: page(snippets) };
    // A site that strips scripts from what it embeds: the iframe alone.
    routes['/no-script'] = {
      type: 'text/html; charset=utf-8',
      body: page({ shortQuote: snippets['shortQuote']!.replace(/<script>[\s\S]*<\/script>/, '') }),
    };

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

  async function openPartnerPage(pathname: string, width: number): Promise<Page> {
    const page = await browser.newPage();
    // Tall enough that every card is on screen: Chromium throttles off-screen cross-origin frames.
    await page.setViewportSize({ width, height: 5000 });
    await page.goto(partnerOrigin + pathname);
    return page;
  }

  function cardFrame(page: Page, section: string): Frame | undefined {
    return page.frames().find((frame) => frame.url() === publicUrl + cardPaths[section]);
  }

  /** How the card fits its iframe once the iframe has the card's height (or, without script, never). */
  async function fitOf(page: Page, section: string): Promise<Fit> {
    const frame = await eventually(async () => cardFrame(page, section), 100, `the ${section} card to load`);
    await frame.locator('.card').waitFor({ timeout: 10_000 });
    // Images and fonts settle, the card reports again, the page resizes: wait for the two to agree.
    return eventually(
      async () => {
        const frameHeight = await page.evaluate<number>(
          `document.querySelector('#${section} iframe').clientHeight`,
        );
        const inside = await frame.evaluate<Omit<Fit, 'frameHeight'>>(`(() => {
          const card = document.querySelector('.card');
          const imagesDone = [...document.images].every((image) => image.complete);
          return imagesDone ? {
            cardHeight: card.getBoundingClientRect().height,
            overflowY: document.documentElement.scrollHeight - window.innerHeight,
            overflowX: document.documentElement.scrollWidth - window.innerWidth,
          } : undefined;
        })()`);
        if (!inside || Math.abs(frameHeight - Math.ceil(inside.cardHeight)) > 1) return undefined;
        return { frameHeight, ...inside };
      },
      100,
      `the ${section} iframe to take its card's height`,
    );
  }

  for (const width of WIDTHS) {
    it(`fits every iframe to its card at ${width} px: no blank band over ${MAX_BLANK_PX} px, no inner scrollbar`, async () => {
      const page = await openPartnerPage('/', width);
      for (const section of Object.keys(snippets)) {
        const fit = await fitOf(page, section);
        expect(fit.frameHeight - fit.cardHeight, `${section} blank band`).toBeLessThanOrEqual(MAX_BLANK_PX);
        expect(fit.frameHeight - fit.cardHeight, `${section} cut off`).toBeGreaterThanOrEqual(-1);
        expect(fit.overflowY, `${section} vertical scroll`).toBeLessThanOrEqual(0);
        expect(fit.overflowX, `${section} horizontal scroll`).toBeLessThanOrEqual(0);
      }
      // The natural 600×300 frame would leave a wide band under the short quote: the resizer removed it.
      const short = await fitOf(page, 'shortQuote');
      expect(short.frameHeight).toBeLessThan(300 - MAX_BLANK_PX);
      // The long quote needs more than the natural height, at least on a narrow screen.
      if (width === 320) expect((await fitOf(page, 'longQuote')).frameHeight).toBeGreaterThan(300);
      await page.screenshot({ path: path.join(ARTIFACTS, `embed-resize-${width}.png`), fullPage: true });
      await page.close();
    });
  }

  it('keeps a card readable where the page strips the resizer: the iframe keeps its natural size', async () => {
    const page = await openPartnerPage('/no-script', 600);
    const frame = await eventually(async () => cardFrame(page, 'shortQuote'), 100, 'the card to load');
    await frame.locator('blockquote').waitFor({ timeout: 10_000 });
    expect(await frame.locator('blockquote').textContent()).toBe('“Yes.”');
    expect(await page.evaluate<number>(`document.querySelector('#shortQuote iframe').clientHeight`)).toBe(
      300,
    );
    await page.close();
  });

  it('reports the height only to the page that frames the card, and runs only the script its CSP names', async () => {
    const response = await fetch(publicUrl + cardPaths['shortQuote']!);
    const policy = response.headers.get('content-security-policy')!;
    const html = await response.text();
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1]!);
    expect(scripts).toHaveLength(1);
    const { createHash } = await import('node:crypto');
    expect(policy).toContain(
      `script-src 'sha256-${createHash('sha256').update(scripts[0]!).digest('base64')}'`,
    );
    expect(policy).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(scripts[0]).toContain("parent.postMessage({type:'byline:embed-height'");
  });
});
