import { emptyPage, parsePrintedDate, type ExtractedPage } from './extracted-page.ts';
import { plainText } from './inline-text.ts';
import { isChromeLine, isForeignScriptLine } from './page-chrome.ts';

/**
 * A plain-text page dump (what "save as text" or a scraper leaves): one line per paragraph, the
 * site's chrome around and inside it, image captions with the site's credit suffix, related-story
 * cards (caption, label, title) between paragraphs. Rules in docs/import.md.
 */

/** "Caption - Site Name, 1920, 22.06.2024": an image's alt text as some sites print it. */
const CAPTION_SUFFIX = /^(.*?)\s*-\s+([^-]{2,60}?),\s*\d{3,4}(?:,\s*(\d{2}\.\d{2}\.\d{4}))?\s*$/;
const CREDIT = /^(©|\(c\)|photo:|photos:|image:|credit:|picture:)\s*/i;
/** Link text a dump glues to the caption that follows it. */
const LINK_REMNANTS =
  /^(go to the (mediabank|photo bank|gallery)|view gallery|open gallery|enlarge( image)?)\s*/i;
const DATE_ONLY =
  /^(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?(?:[A-Z][a-z]+\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}\.\d{1,2}\.\d{4}|\d{4}-\d{2}-\d{2})(?:\s*(?:at\s+)?\d{1,2}:\d{2}.*)?$/i;
const BYLINE = /^by\s+([A-Z][\p{L}.'’-]+(?:\s+[A-Z][\p{L}.'’-]+){1,3})(?:\s*[,|].*)?$/u;
const TAGS = /<\/?[a-z][^>]*>/gi;

function words(line: string): number {
  return line.split(/\s+/).filter(Boolean).length;
}

function endsSentence(line: string): boolean {
  return /[.!?…]["'”’)\]]*$/.test(line) || /[”"]$/.test(line);
}

/** A line of running text, not a label, title or caption. */
function isProse(line: string): boolean {
  const count = words(line);
  // A line ending in a colon introduces what follows ("Marchetti told the board:").
  return (count >= 4 && endsSentence(line)) || (count >= 3 && /:$/.test(line)) || count >= 14;
}

function isTitleLike(line: string): boolean {
  const count = words(line);
  return count >= 2 && count <= 25 && !/[.!?:]$/.test(line) && /^[\p{Lu}\d“"‘']/u.test(line);
}

/** Hard-wrapped dumps: a long line without a sentence end, followed by one that starts lower case. */
function unwrap(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const previous = out.at(-1);
    if (
      previous !== undefined &&
      previous.length >= 50 &&
      !endsSentence(previous) &&
      line !== '' &&
      /^[\p{Ll}]/u.test(line)
    ) {
      out[out.length - 1] = `${previous} ${line}`;
    } else {
      out.push(line);
    }
  }
  return out;
}

export function extractTextPage(text: string): ExtractedPage {
  const page = emptyPage('text');
  const lines = unwrap(
    text
      .replace(/\r\n?/g, '\n')
      .split('\n')
      .map((line) => line.replace(/\s+/g, ' ').trim()),
  );
  const drop = (line: string) => {
    if (line !== '') page.chrome.push(line);
  };
  const noteDate = (line: string) => {
    const date = parsePrintedDate(line);
    if (date && !page.publishedAt) page.publishedAt = date;
  };

  // The headline: the first title-like line of four words or more. Before it, only a short
  // section label and dates are kept; the rest is the site's header.
  let index = 0;
  const header: string[] = [];
  for (; index < lines.length; index += 1) {
    const line = lines[index]!;
    if (line === '') continue;
    if (isChromeLine(line) || isForeignScriptLine(line) || CAPTION_SUFFIX.test(line)) {
      header.push(line);
      continue;
    }
    if (DATE_ONLY.test(line)) {
      noteDate(line);
      header.push(line);
      continue;
    }
    if (words(line) >= 4 && isTitleLike(line) && !/[!]$/.test(line)) {
      page.headline = line;
      index += 1;
      break;
    }
    header.push(line);
  }
  if (page.headline === undefined) {
    // No title line: the page is prose only, or not an article at all.
    index = 0;
    header.length = 0;
  }
  for (const line of header) {
    if (!page.section && /^[\p{Lu}][\p{L}&-]*(?:\s[\p{Lu}][\p{L}&-]*)?$/u.test(line) && !isChromeLine(line)) {
      page.section = line;
    } else {
      drop(line);
    }
  }

  let pendingHeading: string | undefined;
  const flushHeading = () => {
    if (pendingHeading !== undefined) drop(pendingHeading);
    pendingHeading = undefined;
  };
  for (; index < lines.length; index += 1) {
    const line = lines[index]!;
    if (line === '') continue;
    const credit = CREDIT.exec(line);
    if (credit) {
      // "© POOL / Go to the mediabankCaption…": the lead image's credit and caption.
      const [creditPart, ...rest] = line.split(/\s+\/\s+/);
      const caption = rest.join(' / ').replace(LINK_REMNANTS, '').trim();
      if (!page.leadImageText && page.blocks.length === 0) {
        page.leadImageText = { credit: creditPart!.trim(), ...(caption ? { caption } : {}) };
        page.notes.push(
          `lead image credit "${creditPart!.trim()}" found; a text page has no image URL to keep`,
        );
      } else {
        drop(line);
      }
      continue;
    }
    const suffix = CAPTION_SUFFIX.exec(line);
    if (suffix) {
      const [, caption, , date] = suffix;
      if (date) noteDate(date);
      const label = lines[index + 1] ?? '';
      const title = lines[index + 2] ?? '';
      // A related-story card: the card's image alt text, its label, its title.
      if (
        page.blocks.length > 0 &&
        words(label) >= 1 &&
        words(label) <= 3 &&
        !endsSentence(label) &&
        isTitleLike(title) &&
        !isProse(title)
      ) {
        flushHeading();
        page.blocks.push({
          type: 'card',
          card: { title, label, ...(caption ? { imageCaption: caption } : {}) },
        });
        index += 2;
        continue;
      }
      if (page.blocks.length === 0 && caption && !page.leadImageText?.caption) {
        page.leadImageText = { ...page.leadImageText, caption };
      }
      drop(line);
      continue;
    }
    if (isChromeLine(line) || isForeignScriptLine(line)) {
      flushHeading();
      drop(line);
      continue;
    }
    if (DATE_ONLY.test(line)) {
      noteDate(line);
      drop(line);
      continue;
    }
    const byline = BYLINE.exec(line);
    if (byline && page.blocks.length === 0) {
      page.authors.push(byline[1]!);
      drop(line);
      continue;
    }
    if (isProse(line)) {
      if (pendingHeading !== undefined && page.blocks.length > 0) {
        page.blocks.push({ type: 'heading', text: pendingHeading, level: 2 });
      } else if (pendingHeading !== undefined) {
        drop(pendingHeading);
      }
      pendingHeading = undefined;
      let paragraph = line;
      if (TAGS.test(paragraph)) {
        paragraph = paragraph
          .replace(/<(script|style|template|noscript)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '')
          .replace(TAGS, '')
          .replace(/\s+/g, ' ')
          .trim();
        page.notes.push('markup found in a text page was removed');
      }
      TAGS.lastIndex = 0;
      if (paragraph !== '') page.blocks.push({ type: 'paragraph', content: plainText(paragraph) });
      continue;
    }
    if (isTitleLike(line) && words(line) >= 3) {
      flushHeading();
      pendingHeading = line;
      continue;
    }
    flushHeading();
    drop(line);
  }
  flushHeading();
  // Cards after the last paragraph are the site's "more stories", not part of this story.
  while (page.blocks.length > 0 && page.blocks.at(-1)!.type !== 'paragraph') {
    const block = page.blocks.pop()!;
    if (block.type === 'card') drop(block.card.title);
    if (block.type === 'heading') drop(block.text);
  }
  return page;
}
