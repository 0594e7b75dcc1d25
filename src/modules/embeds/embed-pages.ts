import type { ArticleCard, QuoteCard } from './embed-data.ts';
import { embedUrls } from './embed-urls.ts';
import { escapeHtml } from '../../shared/escape-html.ts';
import { cspHash, jsonForScript, safeHttpUrl } from './html.ts';

/**
 * The HTML Byline serves for embedding: the cards partners frame and the minimal article and quote
 * pages the canonical URLs lead to. Self-contained: one inline stylesheet (allowed by its hash),
 * no script, images only from the URLs stored with the content. Every piece of content passes
 * through `escapeHtml`, every URL through `safeHttpUrl`.
 */

export interface PageSettings {
  readonly publicUrl: string;
  readonly providerName: string;
}

export interface RenderedPage {
  readonly html: string;
  /** Origins the page loads images from, for `img-src`. */
  readonly imageOrigins: readonly string[];
}

const STYLE = `
:root{color-scheme:light;--ink:#111;--muted:#555;--rule:#ddd;--accent:#b00020;--paper:#fff}
*{box-sizing:border-box}
html,body{margin:0;padding:0;background:var(--paper);color:var(--ink)}
body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;overflow-wrap:anywhere}
a{color:inherit}
.card{border:1px solid var(--rule);border-radius:6px;overflow:hidden;max-width:100%;margin:0}
.lead{margin:0;position:relative;background:#eee}
.lead img{display:block;width:100%;height:auto;max-height:45vh;aspect-ratio:16/9;object-fit:cover}
.lead figcaption{font-size:12px;color:var(--muted);padding:4px 12px 0}
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
@media (min-width:700px){.card.has-image{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,3fr)}.card.has-image .lead img{max-height:none}}
`.trim();

/** `style-src` source for the one stylesheet every page carries. */
export const styleHash = cspHash(STYLE);

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
  resourceUrl: string;
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
    `<link rel="alternate" type="application/json+oembed" href="${escapeHtml(embedUrls.oembed(settings.publicUrl, options.resourceUrl, 'json'))}" title="${oembedTitle}">`,
    `<link rel="alternate" type="text/xml+oembed" href="${escapeHtml(embedUrls.oembed(settings.publicUrl, options.resourceUrl, 'xml'))}" title="${oembedTitle}">`,
    `<style>${STYLE}</style>`,
    // A data block, never executed, so no script-src is needed for it.
    `<script type="application/ld+json">${jsonForScript(options.jsonLd)}</script>`,
    '</head>',
  ]
    .filter(Boolean)
    .join('\n');
}

function leadImage(card: ArticleCard): { html: string; origin: string | null } {
  const url = safeHttpUrl(card.image?.url);
  if (!card.image || url === null) return { html: '', origin: null };
  const { image } = card;
  const size =
    image.width !== null && image.height !== null ? ` width="${image.width}" height="${image.height}"` : '';
  const credit = image.credit ?? null;
  return {
    html: [
      '<figure class="lead">',
      `<img src="${escapeHtml(url)}" alt="${escapeHtml(image.alt ?? image.caption ?? '')}"${size} loading="lazy" referrerpolicy="no-referrer">`,
      credit !== null ? `<figcaption>${escapeHtml(credit)}</figcaption>` : '',
      '</figure>',
    ].join(''),
    origin: new URL(url).origin,
  };
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
    '</body>',
    '</html>',
  ]
    .filter(Boolean)
    .join('\n');
  return { html, imageOrigins: image.origin ? [image.origin] : [] };
}

function quoteBody(card: QuoteCard, settings: PageSettings): string {
  const { quote, speaker } = card;
  return [
    `<blockquote cite="${escapeHtml(safeHttpUrl(card.article.url) ?? '')}"><p>“${escapeHtml(quote.text)}”</p></blockquote>`,
    `<p class="speaker">${escapeHtml(speaker.name)}${speaker.role !== null ? `<span class="role">, ${escapeHtml(speaker.role)}</span>` : ''}${quote.context !== null ? ` <span class="context">${escapeHtml(quote.context)}</span>` : ''}</p>`,
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
    '</body>',
    '</html>',
  ].join('\n');
  return { html, imageOrigins: [] };
}

/**
 * The page an article's canonical URL on this gateway shows: text, discovery link, link to the card.
 * `withBody` false (a partner key without the `body` right) leaves the text out and links to the article.
 */
export function renderArticlePage(
  card: ArticleCard,
  settings: PageSettings,
  jsonLd: unknown,
  withBody = true,
): RenderedPage {
  const image = leadImage(card);
  const { article } = card;
  const ownUrl = embedUrls.articlePage(settings.publicUrl, article.slug);
  const paragraphs = (withBody ? card.body : []).flatMap((block) =>
    block.type === 'paragraph'
      ? [`<p>${escapeHtml(block.text)}</p>`]
      : block.type === 'heading'
        ? [`<h${block.level}>${escapeHtml(block.text)}</h${block.level}>`]
        : [],
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
    ...paragraphs,
    corrections(card),
    withBody ? '' : `<p>${link(card.url, `Read on ${settings.providerName} →`, 'more')}</p>`,
    `<p>${link(embedUrls.articleEmbed(settings.publicUrl, article.slug, null), 'Embed this article', 'more')}</p>`,
    '</main>',
    '</body>',
    '</html>',
  ]
    .filter(Boolean)
    .join('\n');
  return { html, imageOrigins: image.origin ? [image.origin] : [] };
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
  return { html, imageOrigins: [] };
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
