import { validateArticleDocument, type ArticleDocument } from '../ingest/article-document.ts';
import { buildDocument, type ImportReport } from './build-document.ts';
import { decodePage, looksLikeHtml, PageError } from './decode-page.ts';
import { extractHtmlPage } from './html-page.ts';
import { extractTextPage } from './text-page.ts';

export { MAX_PAGE_BYTES } from './decode-page.ts';
export { renderReport, type ImportReport } from './build-document.ts';

export type ImportResult =
  | { readonly ok: true; readonly document: ArticleDocument; readonly report: ImportReport }
  | { readonly ok: false; readonly error: string };

export interface ImportOptions {
  /** The file's name, for the slug of a page without a headline. */
  readonly name?: string;
  readonly status?: 'draft' | 'published';
}

/**
 * One raw page (HTML or a plain-text dump) to a content-format document and its review report, or
 * a one-line error saying what was wrong. Never throws for anything a file can contain.
 */
export function importPage(bytes: Uint8Array, options: ImportOptions = {}): ImportResult {
  try {
    const { text, encoding } = decodePage(bytes);
    const html = looksLikeHtml(text);
    const page = html ? extractHtmlPage(text) : extractTextPage(text);
    if (!page.blocks.some((block) => block.type === 'paragraph')) {
      return {
        ok: false,
        error: `no article text found in this ${html ? 'HTML' : 'text'} page: expected paragraphs of running text`,
      };
    }
    const status = options.status ?? 'draft';
    if (status === 'published' && !page.publishedAt) {
      return {
        ok: false,
        error: 'no publication date found: expected one to publish (or import as a draft)',
      };
    }
    const { document, report } = buildDocument(page, { status, fallbackName: options.name ?? '', encoding });
    const validation = validateArticleDocument(document);
    if (!validation.ok) {
      return {
        ok: false,
        error: `the document built from this page is not valid: ${validation.problems
          .map((problem) => `${problem.path}: ${problem.message}`)
          .join('; ')}`,
      };
    }
    return { ok: true, document: validation.document, report };
  } catch (error) {
    if (error instanceof PageError) return { ok: false, error: error.message };
    // A parser fault on hostile input is this file's error, not the run's.
    return {
      ok: false,
      error: `could not read this page: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
