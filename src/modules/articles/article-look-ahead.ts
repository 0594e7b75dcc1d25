import type { FieldNode, GraphQLResolveInfo } from 'graphql';
import { childFields, connectionNodes } from '../../shared/selection.ts';
import type { ArticleChildName } from '../article-children.ts';
import type { ArticlePart, ArticleWith } from './articles.repository.ts';

type Fragments = GraphQLResolveInfo['fragments'];

const OWN_PARTS = ['section', 'tags', 'leadImage', 'authors'] as const satisfies readonly ArticlePart[];

/**
 * What the operation will read of the articles that `nodes` (fields returning `Article`) select, so
 * the article's statement brings it along and the children's loaders are primed: its parts, its
 * quotes (with speakers when read) and related links (with targets when read), also where the body
 * shows them. Nothing read → undefined. `listed`: list rows leave the body out, so body images cannot
 * come with them.
 */
export function articleWithOf(
  nodes: readonly FieldNode[],
  fragments: Fragments,
  { listed }: { readonly listed: boolean },
): ArticleWith | undefined {
  if (nodes.length === 0) return undefined;
  const field = (from: readonly FieldNode[], name: string) => childFields(from, fragments, name);
  const parts: ArticlePart[] = OWN_PARTS.filter((part) => field(nodes, part).length > 0);
  const body = field(nodes, 'body');
  if (!listed && field(body, 'image').length > 0) parts.push('bodyImages');
  // Article.quotes, ParagraphBlock.quotes and QuoteBlock.quote all read `quotesByArticle`.
  const quotes = [...field(nodes, 'quotes'), ...field(body, 'quotes'), ...field(body, 'quote')];
  // Article.relatedLinks and RelatedLinkBlock.link read `relatedLinksByArticle`.
  const links = [...field(nodes, 'relatedLinks'), ...field(body, 'link')];
  const children: { [N in ArticleChildName]?: boolean } = {};
  if (quotes.length > 0) children.quotes = field(quotes, 'speaker').length > 0;
  if (links.length > 0) children.relatedLinks = field(links, 'target').length > 0;
  if (parts.length === 0 && Object.keys(children).length === 0) return undefined;
  return { parts, children };
}

/** `articleWithOf` for a connection of articles (`Section.articles`, `Person.mentionedIn`, …). */
export function articleListWith(info: GraphQLResolveInfo | undefined): ArticleWith | undefined {
  return info && articleWithOf(connectionNodes(info), info.fragments, { listed: true });
}
