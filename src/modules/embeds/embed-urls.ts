import { toGlobalId, tryFromGlobalId } from '../../shared/global-id.ts';

/**
 * Every URL the embedding feature hands out, built on BYLINE_PUBLIC_URL. Quotes are addressed by
 * their GraphQL global ID (the same opaque ID `Query.quote` takes), never by the database id.
 */
export const embedUrls = {
  articlePage: (publicUrl: string, slug: string) => `${publicUrl}/articles/${encodeURIComponent(slug)}`,
  quotePage: (publicUrl: string, quoteId: number) => `${publicUrl}/quotes/${toGlobalId('Quote', quoteId)}`,
  articleEmbed: (publicUrl: string, slug: string, partnerId: number | null) =>
    withPartner(`${publicUrl}/embed/articles/${encodeURIComponent(slug)}`, partnerId),
  quoteEmbed: (publicUrl: string, quoteId: number, partnerId: number | null) =>
    withPartner(`${publicUrl}/embed/quotes/${toGlobalId('Quote', quoteId)}`, partnerId),
  oembed: (publicUrl: string, resourceUrl: string, format: 'json' | 'xml' = 'json') =>
    `${publicUrl}/oembed?url=${encodeURIComponent(resourceUrl)}&format=${format}`,
};

function withPartner(url: string, partnerId: number | null): string {
  return partnerId === null ? url : `${url}?partner=${partnerId}`;
}

export type EmbedTarget =
  | { readonly kind: 'article'; readonly slug: string }
  | { readonly kind: 'quote'; readonly id: number }
  /** Not one of our paths: maybe an article's own canonical URL. */
  | { readonly kind: 'articleUrl'; readonly url: string };

/** What an oEmbed `url` points at; undefined when it cannot be ours at all. */
export function parseEmbedTarget(publicUrl: string, raw: string): EmbedTarget | undefined {
  if (!URL.canParse(raw)) return undefined;
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const base = new URL(publicUrl);
  if (url.origin === base.origin) {
    const basePath = base.pathname.replace(/\/$/, '');
    const path = url.pathname.startsWith(`${basePath}/`) ? url.pathname.slice(basePath.length) : '';
    const match = /^\/(?:embed\/)?(articles|quotes)\/([^/]+)\/?$/.exec(path);
    if (match) {
      let id: string;
      try {
        id = decodeURIComponent(match[2]!);
      } catch {
        return undefined;
      }
      if (match[1] === 'articles') return { kind: 'article', slug: id };
      const parsed = tryFromGlobalId(id);
      return parsed?.type === 'Quote' ? { kind: 'quote', id: parsed.id } : undefined;
    }
  }
  return { kind: 'articleUrl', url: raw };
}
