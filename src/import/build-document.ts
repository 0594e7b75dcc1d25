import type { ArticleDocument } from '../ingest/article-document.ts';
import type { ExtractedPage } from './extracted-page.ts';
import type { InlineMark, InlineText } from './inline-text.ts';
import { slugify } from './people-finder.ts';
import { scanQuotes, type FoundQuote } from './quote-finder.ts';

/** What the importer found in one page, for the person who reviews it (docs/import.md). */
export interface ImportReport {
  readonly format: 'html' | 'text';
  readonly encoding: string;
  readonly slug: string;
  readonly headline: string;
  readonly paragraphs: number;
  readonly quotes: { text: string; speaker: string; context?: string }[];
  /** Quotations held back: emitted nowhere until someone names the speaker. */
  readonly flagged: { paragraph: number; text: string; reason: string }[];
  readonly notQuotes: { paragraph: number; text: string; reason: string }[];
  readonly people: { name: string; role?: string }[];
  readonly organizations: string[];
  readonly relatedLinks: { title: string; label?: string; target: string }[];
  readonly chrome: string[];
  readonly notes: string[];
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/** Text (clipped to the format's limit) and its marks, the marks only when there are some. */
function richText(content: InlineText, max: number): { text: string; marks?: InlineMark[] } {
  const text = clip(content.text, max);
  const marks = content.marks.filter((mark) => mark.end <= text.length);
  return marks.length > 0 ? { text, marks } : { text };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function uniqueKey(base: string, used: Set<string>): string {
  const stem = clip(base || 'item', 90).replace(/-+$/, '');
  let key = stem;
  for (let n = 2; used.has(key); n += 1) key = `${stem}-${n}`;
  used.add(key);
  return key;
}

export interface BuildOptions {
  readonly status: 'draft' | 'published';
  /** Used for the slug when the page has no headline. */
  readonly fallbackName: string;
  readonly encoding: string;
}

export function buildDocument(
  page: ExtractedPage,
  options: BuildOptions,
): { document: ArticleDocument; report: ImportReport } {
  const notes = [...page.notes];
  // List items are read for quotes as paragraphs are (a bulleted brief quotes people in its items).
  const paragraphs: string[] = [];
  for (const block of page.blocks) {
    if (block.type === 'paragraph') paragraphs.push(block.content.text);
    if (block.type === 'list') for (const item of block.items) paragraphs.push(item.text);
  }
  const scan = scanQuotes(paragraphs);

  let headline = page.headline?.trim();
  if (!headline) {
    headline = clip(paragraphs[0]!.split(/(?<=[.!?])\s/)[0]!, 300);
    notes.push('no headline found: the first sentence stands in for it');
  } else if (headline.length > 300) {
    headline = clip(headline, 300);
    notes.push('the headline was longer than 300 characters and was shortened');
  }
  const slug = slugify(headline) || slugify(options.fallbackName) || 'imported-article';

  const emitted = scan.quotes.filter(
    (quote): quote is FoundQuote & { speaker: NonNullable<FoundQuote['speaker']> } =>
      quote.speaker !== undefined && quote.flag === undefined,
  );
  const quoteKeys = new Set<string>();
  const quotesByParagraph = new Map<number, string[]>();
  const quotes = emitted.map((quote) => {
    const who = 'person' in quote.speaker ? quote.speaker.person.slug : quote.speaker.organization.slug;
    const key = uniqueKey(`${who}-${slugify(quote.text.split(/\s+/).slice(0, 4).join(' '))}`, quoteKeys);
    quotesByParagraph.set(quote.paragraph, [...(quotesByParagraph.get(quote.paragraph) ?? []), key]);
    return {
      key,
      text: clip(quote.text, 10_000),
      speaker:
        'person' in quote.speaker
          ? { person: quote.speaker.person.slug }
          : { organization: quote.speaker.organization.slug },
      ...(quote.context ? { context: clip(quote.context, 500) } : {}),
    };
  });

  const authorNames = new Set(page.authors.map((name) => name.toLowerCase()));
  const people = scan.people.people
    .filter((person) => !authorNames.has(person.name.toLowerCase()))
    .map((person) => ({
      slug: person.slug,
      name: clip(person.name, 200),
      ...(person.honorific ? { honorific: person.honorific } : {}),
      ...(person.role
        ? { description: clip(capitalize(person.role), 2000), role: clip(person.role, 500) }
        : {}),
    }));
  const personSlugs = new Set(people.map((person) => person.slug));
  const authors = page.authors
    .map((name) => ({ slug: slugify(name), name: clip(name, 200) }))
    .filter((author, index, all) => author.slug && all.findIndex((a) => a.slug === author.slug) === index)
    .map((author) => (personSlugs.has(author.slug) ? { ...author, slug: `${author.slug}-author` } : author));

  const linkKeys = new Set<string>();
  const relatedLinks: NonNullable<ArticleDocument['relatedLinks']> = [];
  const body: ArticleDocument['body'] = [];
  let paragraphNumber = 0;
  let inlineLinks = 0;
  const paragraph = (content: InlineText) => {
    const keys = quotesByParagraph.get(paragraphNumber);
    paragraphNumber += 1;
    const rich = richText(content, 50_000);
    inlineLinks += rich.marks?.filter((mark) => mark.type === 'link').length ?? 0;
    body.push({ type: 'paragraph', ...rich, ...(keys ? { quotes: keys } : {}) });
  };
  for (const block of page.blocks) {
    if (block.type === 'paragraph') {
      paragraph(block.content);
    } else if (block.type === 'list') {
      const first = paragraphNumber;
      const quoted = block.items.some((_item, index) => quotesByParagraph.has(first + index));
      if (quoted) {
        // A quote is placed in a paragraph: items that quote someone stay paragraphs.
        for (const item of block.items) paragraph(item);
        notes.push(`a list whose items quote someone was kept as ${block.items.length} paragraphs`);
        continue;
      }
      paragraphNumber += block.items.length;
      const items = block.items.slice(0, 1000).map((item) => richText(item, 10_000));
      inlineLinks += items.reduce(
        (sum, item) => sum + (item.marks?.filter((mark) => mark.type === 'link').length ?? 0),
        0,
      );
      body.push({ type: 'list', ...(block.ordered ? { ordered: true } : {}), items });
    } else if (block.type === 'heading') {
      body.push({
        type: 'heading',
        text: clip(block.text, 500),
        level: Math.min(6, Math.max(2, block.level)),
      });
    } else if (block.type === 'image') {
      body.push({ type: 'image', image: block.image });
    } else {
      const { card } = block;
      const target = card.url ? { url: card.url } : { article: slugify(card.title) };
      if ('article' in target && (!target.article || target.article === slug)) continue;
      const key = uniqueKey(slugify(card.title).split('-').slice(0, 5).join('-'), linkKeys);
      relatedLinks.push({
        key,
        title: clip(card.title, 300),
        ...target,
        ...(card.label ? { label: clip(card.label, 100) } : {}),
      });
      body.push({ type: 'relatedLink', link: key });
      if (!card.url)
        notes.push(`related card "${card.title}" has no URL: linked by slug "${target.article}"`);
    }
  }

  const document: ArticleDocument = {
    slug,
    ...(page.url ? { url: page.url } : {}),
    status: options.status,
    ...(page.publishedAt ? { publishedAt: page.publishedAt } : {}),
    ...(page.updatedAt && page.publishedAt && page.updatedAt >= page.publishedAt
      ? { updatedAt: page.updatedAt }
      : {}),
    ...(page.language ? { language: page.language } : {}),
    headline,
    ...(page.standfirst ? { standfirst: clip(page.standfirst, 1000) } : {}),
    section: page.section
      ? { slug: slugify(page.section) || 'imported', name: clip(page.section, 200) }
      : { slug: 'imported', name: 'Imported' },
    ...(page.tags.length
      ? {
          tags: page.tags
            .map((tag) => ({ slug: slugify(tag), name: clip(tag, 200) }))
            .filter((tag, index, all) => tag.slug && all.findIndex((t) => t.slug === tag.slug) === index)
            .slice(0, 100),
        }
      : {}),
    ...(page.leadImage ? { leadImage: page.leadImage } : {}),
    ...(authors.length ? { authors } : {}),
    ...(people.length ? { people } : {}),
    ...(scan.people.organizations.length
      ? {
          organizations: scan.people.organizations.map((org) => ({
            slug: org.slug,
            name: clip(org.name, 200),
          })),
        }
      : {}),
    ...(quotes.length ? { quotes } : {}),
    ...(relatedLinks.length ? { relatedLinks } : {}),
    body,
  };
  if (!page.section) notes.push('no section found: filed under "Imported"');
  if (inlineLinks > 0) notes.push(`${inlineLinks} in-text links kept as links`);

  const speakerName = (quote: (typeof emitted)[number]) =>
    'person' in quote.speaker ? quote.speaker.person.name : quote.speaker.organization.name;
  const report: ImportReport = {
    format: page.format,
    encoding: options.encoding,
    slug,
    headline,
    paragraphs: paragraphs.length,
    quotes: emitted.map((quote) => ({
      text: quote.text,
      speaker: speakerName(quote),
      ...(quote.context ? { context: quote.context } : {}),
    })),
    flagged: scan.quotes
      .filter((quote) => quote.flag !== undefined || quote.speaker === undefined)
      .map((quote) => ({ paragraph: quote.paragraph, text: quote.text, reason: quote.flag ?? 'no speaker' })),
    notQuotes: scan.ignored,
    people: people.map((person) => ({ name: person.name, ...(person.role ? { role: person.role } : {}) })),
    organizations: scan.people.organizations.map((org) => org.name),
    relatedLinks: relatedLinks.map((link) => ({
      title: link.title,
      ...(link.label ? { label: link.label } : {}),
      target: link.url ?? `article ${link.article}`,
    })),
    chrome: page.chrome,
    notes,
  };
  return { document, report };
}

export function renderReport(file: string, report: ImportReport): string {
  const lines = [
    `# Import review: ${report.headline}`,
    '',
    `- source: ${file} (${report.format}, ${report.encoding})`,
    `- slug: ${report.slug}`,
    `- paragraphs: ${report.paragraphs}`,
    '',
    `## Quotes (${report.quotes.length})`,
    ...report.quotes.map((q) => `- ${q.speaker}${q.context ? ` (${q.context})` : ''}: “${q.text}”`),
    '',
    `## Flagged for review (${report.flagged.length}): not in the document until a speaker is confirmed`,
    ...report.flagged.map((q) => `- paragraph ${q.paragraph + 1}: ${q.reason}: “${q.text}”`),
    '',
    `## Quoted phrases that are not quotes (${report.notQuotes.length})`,
    ...report.notQuotes.map((q) => `- paragraph ${q.paragraph + 1}: ${q.reason}: “${q.text}”`),
    '',
    `## People (${report.people.length})`,
    ...report.people.map((p) => `- ${p.name}${p.role ? `: ${p.role}` : ''}`),
    '',
    `## Organizations (${report.organizations.length})`,
    ...report.organizations.map((o) => `- ${o}`),
    '',
    `## Related links (${report.relatedLinks.length})`,
    ...report.relatedLinks.map((l) => `- ${l.label ? `[${l.label}] ` : ''}${l.title} → ${l.target}`),
    '',
    `## Dropped as page chrome (${report.chrome.length})`,
    ...report.chrome.map((line) => `- ${line}`),
    '',
    `## Notes (${report.notes.length})`,
    ...report.notes.map((note) => `- ${note}`),
    '',
  ];
  return lines.join('\n');
}
