/**
 * Images Byline serves itself (the demo's, under `/media/`) are stored as root-relative paths, so the
 * same content works whatever BYLINE_PUBLIC_URL is; every answer gives them as absolute URLs.
 */
export const MEDIA_PATH = /^\/media\/(?:[a-z0-9][a-z0-9_-]*\/)*[a-z0-9][a-z0-9_-]*\.(?:svg|png|jpe?g|webp)$/;

/** A stored image URL as clients receive it: a media path joined to the public URL, anything else as is. */
export function absoluteMediaUrl(url: string, publicUrl: string): string {
  return MEDIA_PATH.test(url) ? `${publicUrl.replace(/\/$/, '')}${url}` : url;
}
