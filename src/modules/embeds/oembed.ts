import type { ArticleCard, QuoteCard } from './embed-data.ts';
import { personUrl } from './json-ld.ts';
import { embedUrls } from './embed-urls.ts';
import { escapeHtml } from '../../shared/escape-html.ts';
import { safeHttpUrl } from './html.ts';
import { truncate } from './embed-pages.ts';

/** oEmbed 1.0 (https://oembed.com/#section2.3): a `rich` response whose html frames our card. */
export interface OEmbedResponse {
  readonly type: 'rich';
  readonly version: '1.0';
  readonly title: string;
  readonly author_name?: string;
  readonly author_url?: string;
  readonly provider_name: string;
  readonly provider_url: string;
  readonly cache_age: number;
  readonly html: string;
  readonly width: number;
  readonly height: number;
  readonly thumbnail_url?: string;
  readonly thumbnail_width?: number;
  readonly thumbnail_height?: number;
}

export interface EmbedSize {
  readonly width: number;
  readonly height: number;
}

export interface SizeLimits {
  readonly maxwidth?: number | undefined;
  readonly maxheight?: number | undefined;
}

/**
 * The card's natural size, the iframe's height until its card reports its own (then the resizer fits
 * it); the card is responsive, so any smaller frame still reads (it scrolls if short).
 */
const NATURAL = {
  articleWithImage: { width: 600, height: 480 },
  article: { width: 600, height: 300 },
  quote: { width: 600, height: 300 },
} as const;

/** Sizes within maxwidth/maxheight, which the spec says providers must respect. */
export function fitSize(natural: EmbedSize, limits: SizeLimits): EmbedSize {
  return {
    width: Math.min(natural.width, limits.maxwidth ?? Infinity),
    height: Math.min(natural.height, limits.maxheight ?? Infinity),
  };
}

export function articleSize(card: ArticleCard, limits: SizeLimits = {}): EmbedSize {
  return fitSize(safeHttpUrl(card.image?.url) ? NATURAL.articleWithImage : NATURAL.article, limits);
}

export function quoteSize(limits: SizeLimits = {}): EmbedSize {
  return fitSize(NATURAL.quote, limits);
}

/**
 * The opt-in resizer that follows the iframe in the snippet, as large embed providers ship one: it sets
 * each Byline iframe's height to the height its card reports (a `byline:embed-height` message from
 * that very frame's window, checked by `event.source`, since a sandboxed card's origin is opaque), and
 * asks cards that loaded before it to report again. Pages that strip scripts keep the iframe at its
 * natural size, where the card scrolls. Installed once per page however many snippets it holds.
 */
export const RESIZER_SCRIPT =
  '(function(w,d){var q="iframe[data-byline-embed]";' +
  'if(!w.bylineEmbedResizer){w.bylineEmbedResizer=1;w.addEventListener("message",function(e){' +
  'var m=e.data,f=d.querySelectorAll(q);if(!m||m.type!=="byline:embed-height")return;' +
  'for(var i=0;i!==f.length;i++)if(f[i].contentWindow===e.source){var h=Math.ceil(Number(m.height));' +
  'if(h>0&&h<=20000)f[i].style.height=h+"px"}})}' +
  'var f=d.querySelectorAll(q);for(var i=0;i!==f.length;i++)if(f[i].contentWindow)' +
  'f[i].contentWindow.postMessage({type:"byline:measure"},"*")})(window,document);';

/**
 * The snippet a partner pastes: a sandboxed iframe around the card (scripts allowed for its height
 * report, but no same-origin: the card runs in an opaque origin and can reach nothing of the page),
 * then the resizer.
 */
export function iframeHtml(src: string, title: string, size: EmbedSize): string {
  return (
    `<iframe src="${escapeHtml(src)}" width="${size.width}" height="${size.height}" title="${escapeHtml(title)}"` +
    ` loading="lazy" sandbox="allow-scripts allow-popups allow-popups-to-escape-sandbox"` +
    ` referrerpolicy="strict-origin-when-cross-origin" style="border:0;max-width:100%" data-byline-embed></iframe>` +
    `<script>${RESIZER_SCRIPT}</script>`
  );
}

export interface OEmbedSettings {
  readonly publicUrl: string;
  readonly providerName: string;
  readonly cacheAge: number;
  /** Partner whose origins may frame the card, carried in the iframe URL (not a secret). */
  readonly partnerId: number | null;
}

function names(list: readonly string[]): string {
  return list.length <= 1 ? list.join('') : `${list.slice(0, -1).join(', ')} and ${list.at(-1)!}`;
}

export function articleOEmbed(
  card: ArticleCard,
  settings: OEmbedSettings,
  limits: SizeLimits,
): OEmbedResponse {
  const size = articleSize(card, limits);
  const src = embedUrls.articleEmbed(settings.publicUrl, card.article.slug, settings.partnerId);
  const image = card.image;
  const thumbnail = safeHttpUrl(image?.url);
  const firstAuthor = card.authors[0];
  return {
    type: 'rich',
    version: '1.0',
    title: card.article.headline,
    ...(firstAuthor && {
      author_name: names(card.authors.map((author) => author.name)),
      author_url: personUrl(settings.publicUrl, firstAuthor.slug),
    }),
    provider_name: settings.providerName,
    provider_url: settings.publicUrl,
    cache_age: settings.cacheAge,
    html: iframeHtml(src, card.article.headline, size),
    width: size.width,
    height: size.height,
    // The spec wants all three or none; without stored dimensions there is no honest thumbnail.
    ...(thumbnail !== null &&
      image!.width !== null &&
      image!.height !== null && {
        thumbnail_url: thumbnail,
        thumbnail_width: image!.width,
        thumbnail_height: image!.height,
      }),
  };
}

export function quoteOEmbed(card: QuoteCard, settings: OEmbedSettings, limits: SizeLimits): OEmbedResponse {
  const size = quoteSize(limits);
  const src = embedUrls.quoteEmbed(settings.publicUrl, card.quote.id, settings.partnerId);
  const title = `${card.speaker.name}: “${truncate(card.quote.text, 100)}”`;
  return {
    type: 'rich',
    version: '1.0',
    title,
    author_name: card.speaker.name,
    // A person's own page; an organization or a bare name has none, so the article stands in.
    author_url:
      card.speaker.personSlug !== null
        ? personUrl(settings.publicUrl, card.speaker.personSlug)
        : card.article.url,
    provider_name: settings.providerName,
    provider_url: settings.publicUrl,
    cache_age: settings.cacheAge,
    html: iframeHtml(src, title, size),
    width: size.width,
    height: size.height,
  };
}

/** The XML form (https://oembed.com/#section2.3.4): one element per field, values escaped. */
export function oembedXml(response: OEmbedResponse): string {
  const fields = Object.entries(response)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `  <${key}>${escapeHtml(String(value))}</${key}>`);
  return `<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<oembed>\n${fields.join('\n')}\n</oembed>\n`;
}
