import express, { type Request, type Response } from 'express';
import type { Kysely } from 'kysely';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { tryFromGlobalId } from '../shared/global-id.ts';
import { editorViewer, hasScope, isPreviewing, type Viewer } from '../shared/viewer.ts';
import { createGraphQLContext, type GraphQLContext } from '../graphql/graphql-context.ts';
import { sendHttpError } from '../shared/send-http-error.ts';
import { requestScopeOf } from '../shared/request-scope.ts';
import { escapeHtml } from '../shared/escape-html.ts';
import { findPartnerById, hasFieldRight } from '../modules/partners/index.ts';
import { isPublic, isTakenDown } from '../modules/articles/index.ts';
import {
  articleJsonLd,
  articleOEmbed,
  etagMatches,
  etagOf,
  findArticleCardBySlug,
  findArticleCardByUrl,
  findPersonPage,
  findQuoteCard,
  loadPageBlocks,
  oembedXml,
  parseEmbedTarget,
  personJsonLd,
  quoteJsonLd,
  quoteOEmbed,
  renderArticleEmbed,
  renderArticlePage,
  renderPersonPage,
  renderQuoteEmbed,
  renderQuotePage,
  styleHash,
  type ArticleCard,
  type OEmbedResponse,
  type PageSettings,
  type QuoteCard,
  type RenderedPage,
  type SizeLimits,
} from '../modules/embeds/index.ts';

export interface EmbedRouterOptions {
  /** The request's database (one snapshot for all its reads) and how to end it once all is read. */
  readonly dbOf: (res: Response) => Kysely<Database>;
  readonly doneReading: (res: Response) => void;
  readonly config: Pick<Config, 'publicUrl' | 'providerName' | 'embedFrameAncestors' | 'embedCacheSeconds'>;
}

/** HTTP errors of this router, sent as the gateway's JSON error body (or a small HTML page). */
class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * A path parameter as the router decoded it. PostgreSQL text cannot hold NUL (it fails with 22021),
 * so one is refused here, before any lookup; malformed percent-escapes never get this far (the
 * gateway's error handler answers the router's URIError with 400).
 */
function pathParam(req: Request, name: 'slug' | 'id'): string {
  const value = String(req.params[name]);
  if (value.includes('\u0000')) {
    throw new HttpError(400, 'BAD_REQUEST', `Path segment "${name}": must not contain NUL (U+0000, "%00")`);
  }
  return value;
}

/**
 * `/oembed`, `/embed/articles/:slug`, `/embed/quotes/:id`, `/articles/:slug`, `/quotes/:id` and
 * `/people/:slug`.
 * Mounted after `authenticate`: every lookup goes through the request's loaders with its viewer, so
 * drafts and embargoed articles stay hidden exactly as in GraphQL.
 */
export function createEmbedRouter({ dbOf, doneReading, config }: EmbedRouterOptions): express.Router {
  const router = express.Router();
  const settings: PageSettings = { publicUrl: config.publicUrl, providerName: config.providerName };

  const contextFor = (res: Response, viewer: Viewer = requestScopeOf(res).viewer): GraphQLContext =>
    createGraphQLContext({
      db: dbOf(res),
      viewer,
      publicUrl: config.publicUrl,
      providerName: config.providerName,
    });

  /** Who may frame a card: the key's origins, else the `partner` named in the URL, else the default. */
  async function frameAncestors(req: Request, res: Response, viewer: Viewer): Promise<readonly string[]> {
    if (viewer.kind === 'partner' && viewer.partnerId !== null) {
      return viewer.origins.length > 0 ? viewer.origins : config.embedFrameAncestors;
    }
    const raw = req.query['partner'];
    if (raw === undefined) return config.embedFrameAncestors;
    if (typeof raw !== 'string' || !/^[1-9]\d{0,8}$/.test(raw)) {
      throw new HttpError(
        400,
        'BAD_REQUEST',
        `Query parameter "partner": expected a partner id, got "${String(raw)}"`,
      );
    }
    const partner = await findPartnerById(dbOf(res), Number(raw));
    if (!partner || partner.revoked_at !== null) {
      throw new HttpError(404, 'NOT_FOUND', `No active partner with id ${raw}`);
    }
    return partner.origins.length > 0 ? partner.origins : config.embedFrameAncestors;
  }

  function sendPage(
    req: Request,
    res: Response,
    page: RenderedPage,
    options: { readonly shared: boolean; readonly frameAncestors: readonly string[] },
  ): void {
    res.setHeader(
      'Content-Security-Policy',
      [
        "default-src 'none'",
        `style-src ${styleHash}`,
        ...(page.scriptHashes.length > 0 ? [`script-src ${page.scriptHashes.join(' ')}`] : []),
        `img-src ${page.imageOrigins.length > 0 ? page.imageOrigins.join(' ') : "'none'"}`,
        "base-uri 'none'",
        "form-action 'none'",
        `frame-ancestors ${options.frameAncestors.join(' ')}`,
      ].join('; '),
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'strict-origin-when-cross-origin');
    sendCacheable(req, res, page.html, 'text/html; charset=utf-8', options.shared);
  }

  function sendCacheable(req: Request, res: Response, body: string, type: string, shared: boolean): void {
    // Everything is read: the connection goes back before the body goes out to a client of any speed.
    doneReading(res);
    const etag = etagOf(body);
    res.vary('Authorization');
    res.vary('X-Api-Key');
    // Drafts seen with a preview key must never sit in a shared cache.
    res.setHeader(
      'Cache-Control',
      shared ? `public, max-age=${config.embedCacheSeconds}` : 'private, no-store',
    );
    res.setHeader('ETag', etag);
    if (etagMatches(req.get('if-none-match'), etag)) {
      res.status(304).end();
      return;
    }
    res.type(type).send(body);
  }

  async function articleOrThrow(res: Response, slug: string): Promise<ArticleCard> {
    const card = await findArticleCardBySlug(contextFor(res), slug);
    if (!card) {
      await throwIfTakenDown(res, await contextFor(res, editorViewer).loaders.articleBySlug.load(slug));
      throw new HttpError(404, 'NOT_FOUND', `No article "${slug}"`);
    }
    return card;
  }

  async function quoteOrThrow(res: Response, rawId: string): Promise<QuoteCard> {
    const parsed = tryFromGlobalId(rawId);
    const card = parsed?.type === 'Quote' ? await findQuoteCard(contextFor(res), parsed.id) : null;
    if (!card) {
      if (parsed?.type === 'Quote') {
        const editor = contextFor(res, editorViewer);
        const quote = await editor.loaders.quoteById.load(parsed.id);
        if (quote) await throwIfTakenDown(res, await editor.loaders.articleById.load(quote.article_id));
      }
      throw new HttpError(404, 'NOT_FOUND', `No quote "${rawId}": expected a quote's global ID`);
    }
    return card;
  }

  /** A legal takedown is not a missing page: 410 Gone tells crawlers and caches to drop it for good. */
  async function throwIfTakenDown(
    _res: Response,
    article: { readonly taken_down_at: Date | null } | null,
  ): Promise<void> {
    if (article && isTakenDown(article)) {
      throw new HttpError(410, 'GONE', 'This article has been removed');
    }
  }

  /** An old slug of a renamed article: 301 to where it lives now, query string kept. */
  function redirectedFrom(
    req: Request,
    res: Response,
    prefix: '/articles/' | '/embed/articles/',
    requested: string,
    card: ArticleCard,
  ): boolean {
    if (card.article.slug === requested) return false;
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
    doneReading(res);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(301, `${prefix}${encodeURIComponent(card.article.slug)}${query}`);
    return true;
  }

  const handle =
    (run: (req: Request, res: Response) => Promise<void>): express.RequestHandler =>
    (req, res, next) => {
      run(req, res).catch((error: unknown) => {
        if (!(error instanceof HttpError)) return next(error);
        const wantsHtml = req.path.startsWith('/embed/') || !req.path.startsWith('/oembed');
        if (wantsHtml && (error.status === 404 || error.status === 410)) {
          const title = error.status === 410 ? 'Gone' : 'Not found';
          res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors *");
          res.setHeader('Cache-Control', 'no-store');
          res.status(error.status).type('text/html; charset=utf-8');
          res.send(
            `<!doctype html><html lang="en"><meta charset="utf-8"><title>${title}</title><p>${escapeHtml(error.message)}</p></html>`,
          );
          return;
        }
        sendHttpError(res, error.status, error.code, error.message);
      });
    };

  router.get(
    '/embed/articles/:slug',
    handle(async (req, res) => {
      const viewer = requestScopeOf(res).viewer;
      const slug = pathParam(req, 'slug');
      const card = await articleOrThrow(res, slug);
      if (redirectedFrom(req, res, '/embed/articles/', slug, card)) return;
      const ancestors = await frameAncestors(req, res, viewer);
      sendPage(req, res, renderArticleEmbed(card, settings, articleJsonLd(card, settings)), {
        shared: isPublic(card.article) && viewer.kind === 'anonymous' && !isPreviewing(viewer),
        frameAncestors: ancestors,
      });
    }),
  );

  router.get(
    '/embed/quotes/:id',
    handle(async (req, res) => {
      const viewer = requestScopeOf(res).viewer;
      const card = await quoteOrThrow(res, pathParam(req, 'id'));
      const ancestors = await frameAncestors(req, res, viewer);
      sendPage(req, res, renderQuoteEmbed(card, settings, quoteJsonLd(card, settings)), {
        shared: isPublic(card.article.article) && viewer.kind === 'anonymous' && !isPreviewing(viewer),
        frameAncestors: ancestors,
      });
    }),
  );

  router.get(
    '/articles/:slug',
    handle(async (req, res) => {
      const viewer = requestScopeOf(res).viewer;
      const slug = pathParam(req, 'slug');
      const card = await articleOrThrow(res, slug);
      if (redirectedFrom(req, res, '/articles/', slug, card)) return;
      // The page carries the article's text: only for callers with the `body` right.
      const blocks = hasFieldRight(viewer, 'body') ? await loadPageBlocks(contextFor(res), card) : null;
      sendPage(req, res, renderArticlePage(card, blocks, settings, articleJsonLd(card, settings)), {
        shared: isPublic(card.article) && viewer.kind === 'anonymous' && !isPreviewing(viewer),
        frameAncestors: ["'self'"],
      });
    }),
  );

  router.get(
    '/quotes/:id',
    handle(async (req, res) => {
      const viewer = requestScopeOf(res).viewer;
      const card = await quoteOrThrow(res, pathParam(req, 'id'));
      sendPage(req, res, renderQuotePage(card, settings, quoteJsonLd(card, settings)), {
        shared: isPublic(card.article.article) && viewer.kind === 'anonymous' && !isPreviewing(viewer),
        frameAncestors: ["'self'"],
      });
    }),
  );

  router.get(
    '/people/:slug',
    handle(async (req, res) => {
      const viewer = requestScopeOf(res).viewer;
      const slug = pathParam(req, 'slug');
      const page = await findPersonPage(contextFor(res), slug);
      if (!page) throw new HttpError(404, 'NOT_FOUND', `No person "${slug}"`);
      // What a person page lists depends on the viewer's rights, so only an anonymous one is shared.
      sendPage(req, res, renderPersonPage(page, settings, personJsonLd(page, settings)), {
        shared: viewer.kind === 'anonymous',
        frameAncestors: ["'self'"],
      });
    }),
  );

  router.get(
    '/oembed',
    handle(async (req, res) => {
      const params = oembedParams(req);
      const viewer = requestScopeOf(res).viewer;
      const context = contextFor(res);
      const target = parseEmbedTarget(config.publicUrl, params.url);
      if (!target) throw new HttpError(404, 'NOT_FOUND', `No embeddable resource at ${params.url}`);
      if (target.kind === 'article' && target.slug.includes('\u0000')) {
        throw new HttpError(
          400,
          'BAD_REQUEST',
          'Query parameter "url": the article slug in it must not contain NUL (U+0000, "%00")',
        );
      }
      const find = (ctx: GraphQLContext) =>
        target.kind === 'quote'
          ? findQuoteCard(ctx, target.id)
          : target.kind === 'article'
            ? findArticleCardBySlug(ctx, target.slug)
            : findArticleCardByUrl(ctx, target.url);
      const card = await find(context);
      if (!card) {
        // oEmbed asks for 401 on a private resource (https://oembed.com/#section2.3.3): say so when it exists.
        // Drafts and embargoes only: a taken-down article is not there for anyone (404), not private.
        const hidden = !hasScope(viewer, 'preview') && (await find(contextFor(res, previewOnly))) !== null;
        if (hidden) {
          throw new HttpError(
            401,
            viewer.kind === 'partner' ? 'FORBIDDEN' : 'UNAUTHENTICATED',
            `${params.url} is not published yet: it needs a partner key with the "preview" right`,
          );
        }
        throw new HttpError(404, 'NOT_FOUND', `No embeddable resource at ${params.url}`);
      }
      const oembedSettings = {
        publicUrl: config.publicUrl,
        providerName: config.providerName,
        cacheAge: config.embedCacheSeconds,
        partnerId: viewer.kind === 'partner' ? viewer.partnerId : null,
      };
      const response: OEmbedResponse =
        'quote' in card
          ? quoteOEmbed(card, oembedSettings, params)
          : articleOEmbed(card, oembedSettings, params);
      const article = 'quote' in card ? card.article.article : card.article;
      const shared = isPublic(article) && viewer.kind === 'anonymous' && !isPreviewing(viewer);
      if (params.format === 'xml') {
        sendCacheable(req, res, oembedXml(response), 'text/xml; charset=utf-8', shared);
      } else {
        sendCacheable(req, res, JSON.stringify(response), 'application/json; charset=utf-8', shared);
      }
    }),
  );

  return router;
}

/** Sees drafts and embargoed articles, not taken-down ones: what oEmbed may call private (401). */
const previewOnly: Viewer = Object.freeze({ ...editorViewer, scopes: new Set(['preview'] as const) });

interface OEmbedParams extends SizeLimits {
  readonly url: string;
  readonly format: 'json' | 'xml';
}

/** The query of an oEmbed request (https://oembed.com/#section2.2); 400 for a malformed one, 501 for a format we lack. */
function oembedParams(req: Request): OEmbedParams {
  const single = (name: string): string | undefined => {
    const value = req.query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      throw new HttpError(400, 'BAD_REQUEST', `Query parameter "${name}": expected one value, got several`);
    }
    return value;
  };
  const url = single('url');
  if (url === undefined || url === '') {
    throw new HttpError(
      400,
      'BAD_REQUEST',
      'Query parameter "url": expected the URL of an article or a quote, got none',
    );
  }
  // PostgreSQL text cannot hold NUL: refused before any lookup.
  if (url.includes('\u0000')) {
    throw new HttpError(400, 'BAD_REQUEST', 'Query parameter "url": must not contain NUL (U+0000, "%00")');
  }
  if (url.length > 2048) {
    throw new HttpError(
      400,
      'BAD_REQUEST',
      `Query parameter "url": expected at most 2048 characters, got ${url.length}`,
    );
  }
  const dimension = (name: 'maxwidth' | 'maxheight'): number | undefined => {
    const raw = single(name);
    if (raw === undefined) return undefined;
    if (!/^[1-9]\d{0,4}$/.test(raw)) {
      throw new HttpError(
        400,
        'BAD_REQUEST',
        `Query parameter "${name}": expected a positive integer of pixels up to 99999, got "${raw.slice(0, 40)}"`,
      );
    }
    return Number(raw);
  };
  const maxwidth = dimension('maxwidth');
  const maxheight = dimension('maxheight');
  const format = single('format') ?? 'json';
  if (format !== 'json' && format !== 'xml') {
    throw new HttpError(
      501,
      'NOT_IMPLEMENTED',
      `Query parameter "format": expected json or xml, got "${format.slice(0, 40)}"`,
    );
  }
  return { url, format, maxwidth, maxheight };
}
