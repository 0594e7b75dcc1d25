import type { ArticleParent } from '../parents.ts';

/** An article's own URL, else its page under the gateway's public URL. */
export function canonicalUrl(article: Pick<ArticleParent, 'url' | 'slug'>, publicUrl: string): string {
  return article.url ?? `${publicUrl}/articles/${article.slug}`;
}
