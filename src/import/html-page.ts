import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import type { ImageDocument } from '../ingest/article-document.ts';
import { emptyPage, normalizeDateTime, type ExtractedCard, type ExtractedPage } from './extracted-page.ts';
import { acceptedHref, normalizeInlineText, type InlineMark, type InlineText } from './inline-text.ts';
import { isChromeLine } from './page-chrome.ts';

/**
 * An HTML page: metadata from schema.org JSON-LD, then OpenGraph `article:*`, then plain meta tags;
 * the story's text from Mozilla Readability on linkedom. Only text, marks (http(s) links, emphasis,
 * strong) and image URLs leave this file: no markup, so nothing in a page (scripts, event handlers)
 * reaches the document.
 */

const ARTICLE_TYPES =
  /^(NewsArticle|Article|ReportageNewsArticle|AnalysisNewsArticle|OpinionNewsArticle|BackgroundNewsArticle|ReviewNewsArticle|BlogPosting|LiveBlogPosting|Report|ScholarlyArticle)$/;
const RELATED_PREFIX = /^(related|read more|see also|also read|more on this|read also|recommended)\s*:\s*/i;

type Json = Record<string, unknown>;

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.replace(/\s+/g, ' ').trim() || undefined;
  if (value && typeof value === 'object' && 'name' in value) return text((value as Json)['name']);
  return undefined;
}

function findArticleJsonLd(nodes: unknown[]): Json | undefined {
  for (const node of nodes) {
    if (!node || typeof node !== 'object') continue;
    const object = node as Json;
    const types = asArray(object['@type']).map(String);
    if (types.some((type) => ARTICLE_TYPES.test(type))) return object;
    const inner = findArticleJsonLd([...asArray(object['@graph']), ...(Array.isArray(node) ? node : [])]);
    if (inner) return inner;
  }
  return undefined;
}

export function httpUrl(href: string | null | undefined, base?: string): string | undefined {
  if (!href) return undefined;
  try {
    const url = base ? new URL(href, base) : new URL(href);
    return /^https?:$/.test(url.protocol) ? url.href : undefined;
  } catch {
    return undefined;
  }
}

interface DomElement {
  getAttribute(name: string): string | null;
  textContent: string | null;
}

interface DomDocument {
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
  documentElement: DomElement | null;
}

interface DomNode {
  nodeType: number;
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<DomNode>;
  getAttribute?(name: string): string | null;
  querySelector?(selector: string): DomNode | null;
  querySelectorAll?(selector: string): ArrayLike<DomNode>;
}

/** A paragraph's text with its links and emphasis as marks. */
function inlineContent(element: DomNode, base: string | undefined, links: { dropped: number }): InlineText {
  let raw = '';
  const marks: InlineMark[] = [];
  const walk = (node: DomNode) => {
    if (node.nodeType === 3) {
      raw += node.textContent ?? '';
      return;
    }
    if (node.nodeType !== 1) return;
    const name = node.nodeName.toLowerCase();
    if (name === 'script' || name === 'style' || name === 'noscript' || name === 'template') return;
    if (name === 'br') {
      raw += ' ';
      return;
    }
    const start = raw.length;
    for (const child of Array.from(node.childNodes)) walk(child);
    const end = raw.length;
    if (end <= start) return;
    if (name === 'a') {
      const href = node.getAttribute?.('href');
      const url = httpUrl(href, base);
      const accepted = url && acceptedHref(url);
      if (accepted) marks.push({ type: 'link', start, end, href: accepted });
      else if (href) links.dropped += 1;
    } else if (name === 'em' || name === 'i') {
      marks.push({ type: 'emphasis', start, end });
    } else if (name === 'strong' || name === 'b') {
      marks.push({ type: 'strong', start, end });
    }
  };
  walk(element);
  return normalizeInlineText(raw, marks);
}

function imageOf(element: DomNode, base: string | undefined): ImageDocument | undefined {
  const img = element.nodeName.toLowerCase() === 'img' ? element : element.querySelector?.('img');
  const url = httpUrl(img?.getAttribute?.('src'), base);
  if (!img || !url) return undefined;
  const caption = text(element.querySelector?.('figcaption')?.textContent);
  const alt = text(img.getAttribute?.('alt'));
  const width = Number(img.getAttribute?.('width'));
  const height = Number(img.getAttribute?.('height'));
  return {
    url,
    ...(Number.isInteger(width) && width > 0 && width <= 100_000 ? { width } : {}),
    ...(Number.isInteger(height) && height > 0 && height <= 100_000 ? { height } : {}),
    ...(caption ? { caption: caption.slice(0, 2000) } : {}),
    ...(alt ? { alt: alt.slice(0, 2000) } : {}),
  };
}

const BYLINE = /^[Bb]y\s+([\p{Lu}][\p{L}.'’-]+(?:\s+[\p{Lu}][\p{L}.'’-]+){1,3})$/u;
const NOT_STORY =
  'script, style, noscript, template, iframe, object, embed, form, button, nav, aside, footer, svg, [role="navigation"], [role="complementary"], [aria-hidden="true"]';
const NOT_STORY_CLASS =
  /\b(share|sharing|social|newsletter|subscribe|promo|advert|ad-|ads\b|related-list|comments?|most-read|trending|breadcrumb)/i;

interface Removable {
  remove(): void;
  getAttribute(name: string): string | null;
  textContent: string | null;
}

type Root = { querySelectorAll(selector: string): ArrayLike<Removable> };

function declaredStory(document: DomDocument): DomNode | undefined {
  const declared = Array.from(document.querySelectorAll('[itemprop="articleBody"]'));
  const articles = declared.length > 0 ? declared : Array.from(document.querySelectorAll('article'));
  if (articles.length !== 1) return undefined;
  const root = articles[0] as unknown as Root;
  const paragraphs = Array.from(root.querySelectorAll('p')).filter(
    (p) => (p.textContent ?? '').trim().length >= 40,
  );
  if (paragraphs.length < 3) return undefined;
  return withoutChrome(root);
}

/** The story element without navigation, asides, forms, scripts and share or promo boxes. */
function withoutChrome(root: Root): DomNode {
  for (const element of Array.from(root.querySelectorAll(NOT_STORY))) element.remove();
  for (const element of Array.from(root.querySelectorAll('[class]'))) {
    if (NOT_STORY_CLASS.test(element.getAttribute('class') ?? '')) element.remove();
  }
  return root as unknown as DomNode;
}

interface TreeNode {
  nodeName: string;
  parentNode: TreeNode | null;
  getAttribute?(name: string): string | null;
}

const RUNNING_TEXT = 40;
const CHROME_ANCESTOR = /^(nav|aside|footer|header|form|body|html)$/;

/**
 * The one element that holds the page's running text as its own paragraphs, when one clearly does:
 * at least five paragraphs of 40 characters or more, and four fifths of all such text on the page,
 * with no navigation, aside, footer, form or comment box around it. On such a page Readability's
 * scoring of every node picks the same element; this finds it in one pass over the paragraphs.
 */
function paragraphContainer(document: DomDocument): DomNode | undefined {
  const containers = new Map<TreeNode, { paragraphs: number; chars: number }>();
  let total = 0;
  for (const p of Array.from(document.querySelectorAll('p'))) {
    const chars = (p.textContent ?? '').trim().length;
    if (chars < RUNNING_TEXT) continue;
    total += chars;
    const parent = (p as unknown as TreeNode).parentNode;
    if (!parent) continue;
    const entry = containers.get(parent) ?? { paragraphs: 0, chars: 0 };
    entry.paragraphs += 1;
    entry.chars += chars;
    containers.set(parent, entry);
  }
  let best: [TreeNode, { paragraphs: number; chars: number }] | undefined;
  for (const entry of containers) if (!best || entry[1].chars > best[1].chars) best = entry;
  if (!best || best[1].paragraphs < 5 || best[1].chars < total * 0.8) return undefined;
  for (let node: TreeNode | null = best[0]; node; node = node.parentNode) {
    if (CHROME_ANCESTOR.test(node.nodeName.toLowerCase())) return undefined;
    if (NOT_STORY_CLASS.test(node.getAttribute?.('class') ?? '')) return undefined;
    if (node.parentNode?.nodeName.toLowerCase() === 'body') break;
  }
  return withoutChrome(best[0] as unknown as Root);
}

/**
 * A related-story card when the text is only a link (at most 15 words), or a "Related:" prefix and
 * a link; undefined for running text.
 */
function cardOf(content: InlineText): ExtractedCard | undefined {
  const related = RELATED_PREFIX.exec(content.text);
  const onlyLink = content.marks.find(
    (mark) =>
      mark.type === 'link' && mark.end - mark.start >= content.text.length - (related?.[0].length ?? 0) - 1,
  );
  if (!onlyLink || onlyLink.type !== 'link' || !(related || content.text.split(/\s+/).length <= 15)) {
    return undefined;
  }
  const title = content.text.slice(related?.[0].length ?? 0).trim();
  if (!title) return undefined;
  return {
    title,
    url: onlyLink.href,
    ...(related ? { label: related[0].replace(/\s*:\s*$/, '') } : {}),
  };
}

function readabilityStory(document: DomDocument, page: ExtractedPage): DomNode | undefined {
  // What is never story (scripts, frames, navigation, asides, footers, forms) goes before Readability
  // scores the page: fewer nodes to score, and no <noscript> for it to parse again.
  for (const element of Array.from((document as unknown as Root).querySelectorAll(NOT_STORY)))
    element.remove();
  const article = new Readability<DomNode>(document as never, {
    charThreshold: 200,
    serializer: (node) => node as unknown as DomNode,
    disableJSONLD: true,
  }).parse();
  if (!article?.content) return undefined;
  page.headline ??= text(article.title);
  if (!page.authors.length && article.byline) page.authors.push(article.byline.replace(/^by\s+/i, '').trim());
  return article.content;
}

export function extractHtmlPage(html: string): ExtractedPage {
  const page = emptyPage('html');
  const { document } = parseHTML(html) as unknown as { document: DomDocument };
  // One pass over the meta tags: property (OpenGraph, article:*) and name, first value wins, tags in order.
  const metas = new Map<string, string>();
  const tags: string[] = [];
  for (const element of Array.from(document.querySelectorAll('meta'))) {
    const key = (element.getAttribute('property') ?? element.getAttribute('name') ?? '').toLowerCase();
    const content = text(element.getAttribute('content'));
    if (!key || !content) continue;
    if (key === 'article:tag') tags.push(content);
    if (!metas.has(key)) metas.set(key, content);
  }
  const meta = (key: string) => metas.get(key);

  const jsonLdNodes: unknown[] = [];
  for (const script of Array.from(document.querySelectorAll('script[type="application/ld+json"]'))) {
    try {
      jsonLdNodes.push(JSON.parse(script.textContent ?? ''));
    } catch {
      page.notes.push('a JSON-LD block is not valid JSON; it was ignored');
    }
  }
  const ld = findArticleJsonLd(jsonLdNodes) ?? {};

  const canonical = httpUrl(document.querySelector('link[rel="canonical"]')?.getAttribute('href'));
  page.url = httpUrl(text(ld['url'])) ?? canonical ?? httpUrl(meta('og:url'));
  const base = page.url;
  page.headline =
    text(ld['headline']) ?? meta('og:title') ?? text(document.querySelector('title')?.textContent);
  page.standfirst = text(ld['description']) ?? meta('og:description') ?? meta('description');
  page.publishedAt = normalizeDateTime(
    text(ld['datePublished']) ??
      meta('article:published_time') ??
      meta('date') ??
      meta('pubdate') ??
      document.querySelector('time[datetime]')?.getAttribute('datetime') ??
      undefined,
  );
  page.updatedAt = normalizeDateTime(text(ld['dateModified']) ?? meta('article:modified_time'));
  page.section = text(asArray(ld['articleSection'])[0]) ?? meta('article:section');
  const keywords = asArray(ld['keywords']).flatMap((value) =>
    typeof value === 'string' ? value.split(',') : [],
  );
  const ogTags = tags;
  page.tags = [...new Set([...keywords, ...ogTags].map((tag) => tag.trim()).filter(Boolean))];
  page.authors = asArray(ld['author'])
    .map(text)
    .filter((name): name is string => name !== undefined);
  if (page.authors.length === 0) {
    const author = meta('author') ?? meta('article:author');
    if (author && !/^https?:/.test(author)) page.authors.push(author);
  }
  const language = text(ld['inLanguage']) ?? document.documentElement?.getAttribute('lang') ?? undefined;
  if (language && /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(language)) page.language = language;
  const ldImage = asArray(ld['image'])[0];
  const leadUrl = httpUrl(
    typeof ldImage === 'string'
      ? ldImage
      : (text((ldImage as Json | undefined)?.['url']) ?? meta('og:image')),
    base,
  );
  if (leadUrl) {
    const alt = meta('og:image:alt');
    page.leadImage = { url: leadUrl, ...(alt ? { alt } : {}) };
  }

  // The page's own declaration of its story (schema.org articleBody, or its one <article>) first;
  // then the one element holding its running text; Readability's scoring when neither is clear. All
  // skip scripts, navigation and asides.
  const root = declaredStory(document) ?? paragraphContainer(document) ?? readabilityStory(document, page);
  if (!root) return page;

  const links = { dropped: 0 };
  const seen = new Set<DomNode>();
  const blocks = root.querySelectorAll?.('p, h2, h3, h4, h5, h6, ul, ol, li, figure, img, blockquote') ?? [];
  let lists = 0;
  for (const element of Array.from(blocks)) {
    // A paragraph inside a list or figure is taken with it.
    let parent = (element as unknown as { parentNode: DomNode | null }).parentNode;
    let inside = false;
    while (parent) {
      if (seen.has(parent)) inside = true;
      parent = (parent as unknown as { parentNode: DomNode | null }).parentNode;
    }
    if (inside) continue;
    const name = element.nodeName.toLowerCase();
    if (name === 'figure' || name === 'img') {
      seen.add(element);
      const image = imageOf(element, base);
      if (image && image.url !== page.leadImage?.url) page.blocks.push({ type: 'image', image });
      continue;
    }
    if (name === 'blockquote' && element.querySelector?.('p')) continue;
    seen.add(element);
    if (name === 'ul' || name === 'ol') {
      const items = Array.from(element.childNodes)
        .filter((child) => child.nodeName.toLowerCase() === 'li')
        .map((item) => inlineContent(item, base, links))
        .filter((item) => item.text !== '');
      const kept = items.filter((item) => !isChromeLine(item.text));
      for (const item of items) if (isChromeLine(item.text)) page.chrome.push(item.text);
      if (kept.length === 0) continue;
      // A list of nothing but links is a list of related stories: cards, as single links are.
      const cards = kept.map((item) => cardOf(item));
      if (cards.every((card) => card !== undefined)) {
        for (const card of cards) page.blocks.push({ type: 'card', card });
        continue;
      }
      lists += 1;
      page.blocks.push({ type: 'list', ordered: name === 'ol', items: kept });
      continue;
    }
    const content = inlineContent(element, base, links);
    if (content.text === '') continue;
    if (/^h[2-6]$/.test(name)) {
      if (content.text !== page.headline) {
        page.blocks.push({ type: 'heading', text: content.text.slice(0, 500), level: Number(name[1]) });
      }
      continue;
    }
    if (isChromeLine(content.text) || (name === 'p' && BYLINE.test(content.text))) {
      const byline = BYLINE.exec(content.text);
      if (byline && page.authors.length === 0) page.authors.push(byline[1]!);
      page.chrome.push(content.text);
      continue;
    }
    const card = cardOf(content);
    if (card) page.blocks.push({ type: 'card', card });
    else page.blocks.push({ type: 'paragraph', content });
  }
  if (lists > 0) page.notes.push(`${lists} lists kept as list blocks`);
  if (links.dropped > 0) page.notes.push(`${links.dropped} links that are not http(s) were dropped`);
  return page;
}
