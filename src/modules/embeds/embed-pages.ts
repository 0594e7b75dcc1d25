import type { ImageParent } from '../parents.ts';
import type { ArticleCard, PageBlock, PersonPage, QuoteCard, QuoteSpeaker } from './embed-data.ts';
import { embedUrls } from './embed-urls.ts';
import { escapeHtml } from '../../shared/escape-html.ts';
import { richTextHtml } from '../../shared/rich-text.ts';
import { cspHash, jsonForScript, safeHttpUrl } from './html.ts';
import { personUrl } from './json-ld.ts';

/**
 * The HTML Byline serves for embedding: the cards partners frame and the article, quote and person
 * pages the canonical URLs lead to. Self-contained: one inline stylesheet (allowed by its hash),
 * images only from the URLs stored with the content, and on cards one fixed inline script (allowed
 * by its hash) that reports the card's height to the embedding page. Every piece of content passes
 * through `escapeHtml`, every URL through `safeHttpUrl`; rich text through `richTextHtml`, the one
 * rendering GraphQL's `html` fields give too.
 */

export interface PageSettings {
  readonly publicUrl: string;
  readonly providerName: string;
}

export interface RenderedPage {
  readonly html: string;
  /** Origins the page loads images from, for `img-src`. */
  readonly imageOrigins: readonly string[];
  /** Hash sources of the inline scripts the page runs, for `script-src` (none: no script-src at all). */
  readonly scriptHashes: readonly string[];
}

const STYLE = `
:root{color-scheme:light;--ink:#111;--muted:#555;--rule:#ddd;--accent:#b00020;--paper:#fff}
*{box-sizing:border-box}
html,body{margin:0;padding:0;background:var(--paper);color:var(--ink)}
body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;overflow-wrap:anywhere}
a{color:inherit}
.card{border:1px solid var(--rule);border-radius:6px;overflow:hidden;max-width:100%;margin:0}
.lead{margin:0;position:relative;background:#eee}
.lead img{display:block;width:100%;height:auto;aspect-ratio:16/9;object-fit:cover}
.lead figcaption,.image figcaption{font-size:12px;color:var(--muted);padding:4px 12px 0}
main .lead,main .image{margin:0 0 14px;background:none}
main .lead figcaption,main .image figcaption{padding:4px 0 0}
.image img{display:block;width:100%;height:auto}
.credit{margin-left:4px}
.pull{margin:20px 0}
.pull figcaption{font-size:14px;color:var(--muted)}
.related{display:flex;gap:12px;align-items:center;margin:0 0 14px;padding:10px;border:1px solid var(--rule);border-radius:6px}
.related img{width:96px;height:64px;object-fit:cover;flex:none}
.related .label{display:block;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--accent);font-weight:600}
.related .title{font-weight:600}
.list{padding:0;list-style:none}
.list li{margin:0 0 12px}
.text{padding:12px 16px 16px}
.kicker{margin:0 0 6px;font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:var(--accent);font-weight:600}
.kicker time{color:var(--muted);font-weight:400;text-transform:none;letter-spacing:0}
h1{font-size:clamp(20px,4.5vw,30px);line-height:1.2;margin:0 0 8px}
h1 a{text-decoration:none}
h1 a:hover,h1 a:focus{text-decoration:underline}
.standfirst{margin:0 0 10px;color:#333;font-size:clamp(15px,2.6vw,18px)}
.byline{margin:0 0 10px;font-size:14px;color:var(--muted)}
.more{display:inline-block;font-size:14px;font-weight:600;color:var(--accent)}
blockquote{margin:0 0 12px;padding:0 0 0 14px;border-left:4px solid var(--accent);font-size:clamp(18px,3.8vw,26px);line-height:1.35;font-family:Georgia,"Times New Roman",serif}
blockquote p{margin:0}
.speaker{margin:0 0 4px;font-weight:600}
.role,.context{font-weight:400;color:var(--muted)}
.source{margin:0 0 10px;font-size:14px;color:var(--muted)}
main{max-width:720px;margin:0 auto;padding:16px}
main p{margin:0 0 14px}
@media (min-width:700px){.card.has-image{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,3fr)}}
`.trim();

/** `style-src` source for the one stylesheet every page carries. */
export const styleHash = cspHash(STYLE);

/**
 * The card's only script: it posts the card's height to the embedding page whenever it changes, and
 * again when asked ("byline:measure"), so the page's opt-in resizer can fit the iframe to it. The height
 * is all it says, so any origin may hear it ('*'); it reads nothing from the page around it.
 */
export const CARD_SCRIPT =
  "(function(){var last=0,card=document.querySelector('.card');if(!card||parent===window)return;" +
  'function send(){var h=Math.ceil(card.getBoundingClientRect().height);if(h===last)return;last=h;' +
  "parent.postMessage({type:'byline:embed-height',height:h},'*')}" +
  "window.addEventListener('message',function(e){if(e.source===parent&&e.data&&e.data.type==='byline:measure'){last=0;send()}});" +
  "if(window.ResizeObserver)new ResizeObserver(send).observe(card);window.addEventListener('load',send);send()})();";

/** `script-src` source of the card script. */
export const cardScriptHash = cspHash(CARD_SCRIPT);

const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' });

function link(href: string, text: string, className?: string): string {
  const url = safeHttpUrl(href);
  const classAttr = className ? ` class="${className}"` : '';
  if (url === null) return `<span${classAttr}>${escapeHtml(text)}</span>`;
  return `<a${classAttr} href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(text)}</a>`;
}

function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`;
}

function head(options: {
  title: string;
  lang: string;
  canonical: string;
  /** What oEmbed discovery points at; null for a page nothing embeds (a person). */
  resourceUrl: string | null;
  settings: PageSettings;
  jsonLd: unknown;
  embedded: boolean;
}): string {
  const { settings } = options;
  const oembedTitle = escapeHtml(options.title);
  return [
    '<!doctype html>',
    `<html lang="${escapeHtml(options.lang)}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    options.embedded ? '<meta name="robots" content="noindex">' : '',
    '<meta name="referrer" content="strict-origin-when-cross-origin">',
    `<title>${escapeHtml(options.title)} — ${escapeHtml(settings.providerName)}</title>`,
    safeHttpUrl(options.canonical)
      ? `<link rel="canonical" href="${escapeHtml(safeHttpUrl(options.canonical)!)}">`
      : '',
    // oEmbed discovery (https://oembed.com/#section4).
    options.resourceUrl !== null
      ? `<link rel="alternate" type="application/json+oembed" href="${escapeHtml(embedUrls.oembed(settings.publicUrl, options.resourceUrl, 'json'))}" title="${oembedTitle}">`
      : '',
    options.resourceUrl !== null
      ? `<link rel="alternate" type="text/xml+oembed" href="${escapeHtml(embedUrls.oembed(settings.publicUrl, options.resourceUrl, 'xml'))}" title="${oembedTitle}">`
      : '',
    `<style>${STYLE}</style>`,
    // A data block, never executed, so no script-src is needed for it.
    `<script type="application/ld+json">${jsonForScript(options.jsonLd)}</script>`,
    '</head>',
  ]
    .filter(Boolean)
    .join('\n');
}

/** An `<img>` of a stored image, and its origin; null unless the URL is an absolute http(s) URL. */
function imageTag(image: ImageParent | null): { html: string; origin: string } | null {
  const url = safeHttpUrl(image?.url);
  if (!image || url === null) return null;
  const size =
    image.width !== null && image.height !== null ? ` width="${image.width}" height="${image.height}"` : '';
  return {
    html: `<img src="${escapeHtml(url)}" alt="${escapeHtml(image.alt ?? image.caption ?? '')}"${size} loading="lazy" referrerpolicy="no-referrer">`,
    origin: new URL(url).origin,
  };
}

/**
 * An image as a figure: cards print the credit alone (they have no room), pages the caption and the
 * credit. Null when the stored URL is not an absolute http(s) URL.
 */
function figure(
  image: ImageParent | null,
  className: string,
  withCaption: boolean,
): { html: string; origin: string } | null {
  const img = imageTag(image);
  if (!image || img === null) return null;
  const caption = withCaption && image.caption !== null ? escapeHtml(image.caption) : '';
  const credit = image.credit !== null ? escapeHtml(image.credit) : '';
  const text = caption && credit ? `${caption}<span class="credit">${credit}</span>` : caption || credit;
  return {
    html: [
      `<figure class="${className}">`,
      img.html,
      text ? `<figcaption>${text}</figcaption>` : '',
      '</figure>',
    ].join(''),
    origin: img.origin,
  };
}

function leadImage(card: ArticleCard, withCaption = false): { html: string; origin: string | null } {
  return figure(card.image, 'lead', withCaption) ?? { html: '', origin: null };
}

function kicker(card: ArticleCard): string {
  const { article } = card;
  const date =
    article.published_at !== null
      ? `<time datetime="${article.published_at.toISOString()}">${escapeHtml(dateFormat.format(article.published_at))}</time>`
      : '<time>Draft</time>';
  const section = card.section ? `<span class="section">${escapeHtml(card.section.name)}</span> · ` : '';
  return `<p class="kicker">${section}${date}</p>`;
}

function byline(card: ArticleCard): string {
  if (card.authors.length === 0) return '';
  return `<p class="byline">By ${escapeHtml(listNames(card.authors.map((a) => a.name)))}</p>`;
}

/** The article's corrections, oldest first, as a section of their own (empty when there are none). */
function corrections(card: ArticleCard): string {
  const list = card.article.corrections ?? [];
  if (list.length === 0) return '';
  return [
    '<section class="corrections" aria-label="Corrections">',
    '<p class="kicker">Corrections</p>',
    ...list.map(
      (correction) =>
        `<p class="correction"><time datetime="${escapeHtml(correction.at)}">${escapeHtml(correction.at.slice(0, 10))}</time> ${escapeHtml(correction.text)}</p>`,
    ),
    '</section>',
  ].join('\n');
}

/** The article card partners frame: `/embed/articles/:slug`. */
export function renderArticleEmbed(card: ArticleCard, settings: PageSettings, jsonLd: unknown): RenderedPage {
  const image = leadImage(card);
  const { article } = card;
  const html = [
    head({
      title: article.headline,
      lang: article.language,
      canonical: card.url,
      resourceUrl: card.url,
      settings,
      jsonLd,
      embedded: true,
    }),
    '<body>',
    `<article class="card${image.html ? ' has-image' : ''}">`,
    image.html,
    '<div class="text">',
    kicker(card),
    `<h1>${link(card.url, article.headline)}</h1>`,
    article.standfirst !== null ? `<p class="standfirst">${escapeHtml(article.standfirst)}</p>` : '',
    byline(card),
    corrections(card),
    link(card.url, `Read on ${settings.providerName} →`, 'more'),
    '</div>',
    '</article>',
    `<script>${CARD_SCRIPT}</script>`,
    '</body>',
    '</html>',
  ]
    .filter(Boolean)
    .join('\n');
  return { html, imageOrigins: image.origin ? [image.origin] : [], scriptHashes: [cardScriptHash] };
}

/** "Name, role context" as the speaker line of a quote prints it (the name linked to a person page). */
function speakerLine(speaker: QuoteSpeaker, context: string | null, settings: PageSettings | null): string {
  const name =
    settings !== null && speaker.personSlug !== null
      ? `<a href="${escapeHtml(personUrl(settings.publicUrl, speaker.personSlug))}">${escapeHtml(speaker.name)}</a>`
      : escapeHtml(speaker.name);
  return `${name}${speaker.role !== null ? `<span class="role">, ${escapeHtml(speaker.role)}</span>` : ''}${context !== null ? ` <span class="context">${escapeHtml(context)}</span>` : ''}`;
}

function quoteBody(card: QuoteCard, settings: PageSettings): string {
  const { quote, speaker } = card;
  return [
    `<blockquote cite="${escapeHtml(safeHttpUrl(card.article.url) ?? '')}"><p>“${escapeHtml(quote.text)}”</p></blockquote>`,
    `<p class="speaker">${speakerLine(speaker, quote.context, null)}</p>`,
    `<p class="source">From ${link(card.article.url, card.article.article.headline)}</p>`,
    link(card.article.url, `Read on ${settings.providerName} →`, 'more'),
  ].join('\n');
}

/** The head both quote pages share: the card and the canonical page differ only in `embedded`. */
function quoteHead(card: QuoteCard, settings: PageSettings, jsonLd: unknown, embedded: boolean): string {
  const quoteUrl = embedUrls.quotePage(settings.publicUrl, card.quote.id);
  return head({
    title: `${card.speaker.name}: “${truncate(card.quote.text, 80)}”`,
    lang: card.article.article.language,
    canonical: quoteUrl,
    resourceUrl: quoteUrl,
    settings,
    jsonLd,
    embedded,
  });
}

/** The quote card partners frame: `/embed/quotes/:id`. */
export function renderQuoteEmbed(card: QuoteCard, settings: PageSettings, jsonLd: unknown): RenderedPage {
  const html = [
    quoteHead(card, settings, jsonLd, true),
    '<body>',
    '<figure class="card"><div class="text">',
    quoteBody(card, settings),
    '</div></figure>',
    `<script>${CARD_SCRIPT}</script>`,
    '</body>',
    '</html>',
  ].join('\n');
  return { html, imageOrigins: [], scriptHashes: [cardScriptHash] };
}

/** One body block of the article page, and the image origin it needs. */
function pageBlock(block: PageBlock, settings: PageSettings): { html: string; origin: string | null } {
  switch (block.type) {
    case 'paragraph':
      return { html: `<p>${richTextHtml(block, settings.publicUrl)}</p>`, origin: null };
    case 'list': {
      const tag = block.ordered ? 'ol' : 'ul';
      const items = block.items.map((item) => `<li>${richTextHtml(item, settings.publicUrl)}</li>`);
      return { html: `<${tag}>${items.join('')}</${tag}>`, origin: null };
    }
    case 'heading': {
      // The headline is the page's h1: body headings start at h2.
      const level = Math.min(6, Math.max(2, block.level));
      return { html: `<h${level}>${escapeHtml(block.text)}</h${level}>`, origin: null };
    }
    case 'quote': {
      const quoteUrl = embedUrls.quotePage(settings.publicUrl, block.quote.id);
      return {
        html: [
          '<figure class="pull">',
          `<blockquote cite="${escapeHtml(quoteUrl)}"><p>“${escapeHtml(block.quote.text)}”</p></blockquote>`,
          `<figcaption>${speakerLine(block.speaker, block.quote.context, settings)}</figcaption>`,
          '</figure>',
        ].join(''),
        origin: null,
      };
    }
    case 'image':
      return figure(block.image, 'image', true) ?? { html: '', origin: null };
    case 'relatedLink': {
      const image = imageTag(block.image);
      const thumbnail = image?.html ?? '';
      const label =
        block.link.label !== null ? `<span class="label">${escapeHtml(block.link.label)}</span>` : '';
      const title = `<span class="title">${escapeHtml(block.link.title)}</span>`;
      const href = safeHttpUrl(block.href);
      const inner = `${thumbnail}<span>${label}${title}</span>`;
      return {
        html:
          href !== null
            ? `<aside class="related"><a class="related-link" href="${escapeHtml(href)}">${inner}</a></aside>`
            : `<aside class="related">${inner}</aside>`,
        origin: image?.origin ?? null,
      };
    }
  }
}

/**
 * The page an article's canonical URL on this gateway shows: text, discovery link, link to the card.
 * `withBody` false (a partner key without the `body` right) leaves the text out and links to the article.
 */
export function renderArticlePage(
  card: ArticleCard,
  blocks: readonly PageBlock[] | null,
  settings: PageSettings,
  jsonLd: unknown,
): RenderedPage {
  const withBody = blocks !== null;
  const image = leadImage(card, true);
  const { article } = card;
  const ownUrl = embedUrls.articlePage(settings.publicUrl, article.slug);
  const rendered = (blocks ?? []).map((block) => pageBlock(block, settings));
  const origins = [image.origin, ...rendered.map((block) => block.origin)].filter(
    (origin) => origin !== null,
  );
  const html = [
    head({
      title: article.headline,
      lang: article.language,
      canonical: card.url,
      resourceUrl: ownUrl,
      settings,
      jsonLd,
      embedded: false,
    }),
    '<body>',
    '<main>',
    kicker(card),
    `<h1>${escapeHtml(article.headline)}</h1>`,
    article.standfirst !== null ? `<p class="standfirst">${escapeHtml(article.standfirst)}</p>` : '',
    byline(card),
    image.html,
    ...rendered.map((block) => block.html),
    corrections(card),
    withBody ? '' : `<p>${link(card.url, `Read on ${settings.providerName} →`, 'more')}</p>`,
    `<p>${link(embedUrls.articleEmbed(settings.publicUrl, article.slug, null), 'Embed this article', 'more')}</p>`,
    '</main>',
    '</body>',
    '</html>',
  ]
    .filter(Boolean)
    .join('\n');
  return { html, imageOrigins: [...new Set(origins)], scriptHashes: [] };
}

/** The page a quote's canonical URL shows. */
export function renderQuotePage(card: QuoteCard, settings: PageSettings, jsonLd: unknown): RenderedPage {
  const html = [
    quoteHead(card, settings, jsonLd, false),
    '<body>',
    '<main>',
    quoteBody(card, settings),
    `<p>${link(embedUrls.quoteEmbed(settings.publicUrl, card.quote.id, null), 'Embed this quote', 'more')}</p>`,
    '</main>',
    '</body>',
    '</html>',
  ].join('\n');
  return { html, imageOrigins: [], scriptHashes: [] };
}

/** `/people/:slug`: who the person is, their quotes with their articles, and the articles naming them. */
export function renderPersonPage(page: PersonPage, settings: PageSettings, jsonLd: unknown): RenderedPage {
  const { person } = page;
  const ownUrl = personUrl(settings.publicUrl, person.slug);
  const fullName = [person.honorific, person.name].filter(Boolean).join(' ');
  const articleItem = (entry: { article: { headline: string; published_at: Date | null }; url: string }) =>
    `<li>${link(entry.url, entry.article.headline)}${entry.article.published_at !== null ? ` <time datetime="${entry.article.published_at.toISOString()}">${escapeHtml(dateFormat.format(entry.article.published_at))}</time>` : ''}</li>`;
  const section = (title: string, items: readonly string[]) =>
    items.length === 0 ? '' : `<h2>${escapeHtml(title)}</h2>\n<ul class="list">\n${items.join('\n')}\n</ul>`;
  const html = [
    head({
      title: fullName,
      lang: 'en',
      canonical: ownUrl,
      resourceUrl: null,
      settings,
      jsonLd,
      embedded: false,
    }),
    '<body>',
    '<main>',
    `<h1>${escapeHtml(fullName)}</h1>`,
    person.description !== null ? `<p class="standfirst">${escapeHtml(person.description)}</p>` : '',
    section(
      'Quotes',
      page.quotes.map(
        ({ quote, article, articleUrl }) =>
          `<li><blockquote cite="${escapeHtml(embedUrls.quotePage(settings.publicUrl, quote.id))}"><p>“${escapeHtml(quote.text)}”</p></blockquote>` +
          `<p class="source">${quote.context !== null ? `${escapeHtml(quote.context)}, ` : ''}in ${link(articleUrl, article.headline)} · ${link(embedUrls.quotePage(settings.publicUrl, quote.id), 'Quote page')}</p></li>`,
      ),
    ),
    section('Articles naming them', page.mentionedIn.map(articleItem)),
    section('Articles by them', page.wrote.map(articleItem)),
    '</main>',
    '</body>',
    '</html>',
  ]
    .filter(Boolean)
    .join('\n');
  return { html, imageOrigins: [], scriptHashes: [] };
}

export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max
    ? text
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}
