import type { StoredBlock } from '../../db/database.ts';
import { canonicalUrl, loadArticlePart, resolveArticleConnection } from '../articles/index.ts';
import type { GraphQLContext } from '../context.ts';
import type {
  ArticleParent,
  ImageParent,
  PersonParent,
  QuoteParent,
  RelatedLinkParent,
  SectionParent,
} from '../parents.ts';
import { resolveQuoteConnection } from '../quotes/index.ts';
import { absoluteMediaUrl } from '../../shared/media-url.ts';

/** Everything an article card, its oEmbed answer and its JSON-LD show. */
export interface ArticleCard {
  readonly article: ArticleParent;
  /** The article's blocks (rows from lists come without them). */
  readonly body: readonly StoredBlock[];
  readonly url: string;
  readonly section: SectionParent | null;
  readonly image: ImageParent | null;
  readonly authors: readonly PersonParent[];
}

export interface QuoteSpeaker {
  readonly name: string;
  /** The person's slug, for their page; null for an organization or a name only. */
  readonly personSlug: string | null;
  /** The role the article gives the speaker, else who they are; null when neither is known. */
  readonly role: string | null;
  readonly kind: 'Person' | 'Organization' | null;
}

export interface QuoteCard {
  readonly quote: QuoteParent;
  readonly speaker: QuoteSpeaker;
  readonly article: ArticleCard;
}

/** The image with the URL clients are given (a media path made absolute). */
function withAbsoluteUrl(image: ImageParent | null, publicUrl: string): ImageParent | null {
  return image && { ...image, url: absoluteMediaUrl(image.url, publicUrl) };
}

/** Loads through the request's loaders, so the viewer's visibility rule decides what exists. */
export async function loadArticleCard(context: GraphQLContext, article: ArticleParent): Promise<ArticleCard> {
  const [section, image, authors, body] = await Promise.all([
    loadArticlePart(context, article.id, 'section'),
    article.lead_image_id === null ? null : loadArticlePart(context, article.id, 'leadImage'),
    loadArticlePart(context, article.id, 'authors'),
    article.body ?? context.loaders.articleBodyById.load(article.id),
  ]);
  return {
    article,
    body,
    url: canonicalUrl(article, context.publicUrl),
    section,
    image: withAbsoluteUrl(image, context.publicUrl),
    authors,
  };
}

export async function findArticleCardBySlug(
  context: GraphQLContext,
  slug: string,
): Promise<ArticleCard | null> {
  const article = await context.loaders.articleBySlug.load(slug);
  return article ? loadArticleCard(context, article) : null;
}

export async function findArticleCardByUrl(
  context: GraphQLContext,
  url: string,
): Promise<ArticleCard | null> {
  const article = await context.loaders.articleByUrl.load(url);
  return article ? loadArticleCard(context, article) : null;
}

async function speakerOf(context: GraphQLContext, quote: QuoteParent): Promise<QuoteSpeaker> {
  if (quote.speaker_person_id !== null) {
    const [person, mentions] = await Promise.all([
      context.loaders.personById.load(quote.speaker_person_id),
      context.loaders.mentionsByArticle.load(quote.article_id),
    ]);
    const role = mentions.find((mention) => mention.person.id === quote.speaker_person_id)?.role;
    const name = person ? [person.honorific, person.name].filter(Boolean).join(' ') : quote.speaker_name;
    return {
      name,
      personSlug: person?.slug ?? null,
      role: role ?? person?.description ?? null,
      kind: 'Person',
    };
  }
  if (quote.speaker_organization_id !== null) {
    const organization = await context.loaders.organizationById.load(quote.speaker_organization_id);
    return {
      name: organization?.name ?? quote.speaker_name,
      personSlug: null,
      role: organization?.description ?? null,
      kind: 'Organization',
    };
  }
  return { name: quote.speaker_name, personSlug: null, role: null, kind: null };
}

export async function loadQuoteCard(context: GraphQLContext, quote: QuoteParent): Promise<QuoteCard | null> {
  const article = await context.loaders.articleById.load(quote.article_id);
  if (!article) return null;
  const [speaker, card] = await Promise.all([speakerOf(context, quote), loadArticleCard(context, article)]);
  return { quote, speaker, article: card };
}

export async function findQuoteCard(context: GraphQLContext, id: number): Promise<QuoteCard | null> {
  const quote = await context.loaders.quoteById.load(id);
  return quote ? loadQuoteCard(context, quote) : null;
}

/** A body block with what it points at, as the article page prints it. */
export type PageBlock =
  | Extract<StoredBlock, { readonly type: 'paragraph' | 'list' }>
  | { readonly type: 'heading'; readonly text: string; readonly level: number }
  | { readonly type: 'quote'; readonly quote: QuoteParent; readonly speaker: QuoteSpeaker }
  | { readonly type: 'image'; readonly image: ImageParent }
  | {
      readonly type: 'relatedLink';
      readonly link: RelatedLinkParent;
      /** Where the card leads: the link's own URL, else its target's page while the target is visible. */
      readonly href: string | null;
      readonly image: ImageParent | null;
    };

/** Every block of the article with its quote, image or link; a block whose target is missing is left out. */
export async function loadPageBlocks(context: GraphQLContext, card: ArticleCard): Promise<PageBlock[]> {
  const articleId = card.article.id;
  const [quotes, images, links] = await Promise.all([
    context.loaders.quotesByArticle.load({ articleId, speakers: true }),
    loadArticlePart(context, articleId, 'bodyImages'),
    context.loaders.relatedLinksByArticle.load({ articleId, targets: true }),
  ]);
  const blocks = await Promise.all(
    card.body.map(async (block): Promise<PageBlock | null> => {
      switch (block.type) {
        case 'paragraph':
        case 'heading':
        case 'list':
          return block;
        case 'quote': {
          const quote = quotes.find((candidate) => candidate.ordinal === block.quote);
          return quote ? { type: 'quote', quote, speaker: await speakerOf(context, quote) } : null;
        }
        case 'image': {
          const image = images.find((candidate) => candidate.id === block.image);
          return image ? { type: 'image', image: withAbsoluteUrl(image, context.publicUrl)! } : null;
        }
        case 'relatedLink': {
          const link = links.find((candidate) => candidate.position === block.link);
          if (!link) return null;
          const [target, image] = await Promise.all([
            link.target_article_id === null ? null : context.loaders.articleById.load(link.target_article_id),
            link.image_id === null ? null : context.loaders.imageById.load(link.image_id),
          ]);
          // A hidden target keeps its title on the card but gets no link: its page would not answer.
          const href = link.url ?? (target ? canonicalUrl(target, context.publicUrl) : null);
          return { type: 'relatedLink', link, href, image: withAbsoluteUrl(image, context.publicUrl) };
        }
      }
    }),
  );
  return blocks.filter((block) => block !== null);
}

/** How many quotes and articles a person page lists (the newest first). */
export const PERSON_PAGE_LIMIT = 100;

export interface PersonPageQuote {
  readonly quote: QuoteParent;
  readonly article: ArticleParent;
  readonly articleUrl: string;
}

/** A person page: who they are, what they said, the articles naming them and those they wrote. */
export interface PersonPage {
  readonly person: PersonParent;
  readonly quotes: readonly PersonPageQuote[];
  readonly mentionedIn: readonly { readonly article: ArticleParent; readonly url: string }[];
  readonly wrote: readonly { readonly article: ArticleParent; readonly url: string }[];
}

/**
 * The person and everything of theirs this viewer may see; null for an unknown slug and for a person
 * no visible article names, quotes or is written by (their name came only from drafts or embargoes).
 */
export async function findPersonPage(context: GraphQLContext, slug: string): Promise<PersonPage | null> {
  const person = await context.loaders.personBySlug.load(slug);
  if (!person) return null;
  const first = PERSON_PAGE_LIMIT;
  const [quotes, mentioned, wrote] = await Promise.all([
    resolveQuoteConnection(context, { filter: { speakerPersonId: person.id }, first, after: null }),
    resolveArticleConnection(context, { filter: { mentionedPersonId: person.id }, first, after: null }),
    resolveArticleConnection(context, { filter: { authorId: person.id }, first, after: null }),
  ]);
  const withUrl = (article: ArticleParent) => ({ article, url: canonicalUrl(article, context.publicUrl) });
  const quoted = await Promise.all(
    quotes.nodes.map(async (quote) => {
      const article = await context.loaders.articleById.load(quote.article_id);
      return article ? { quote, article, articleUrl: canonicalUrl(article, context.publicUrl) } : null;
    }),
  );
  const page: PersonPage = {
    person,
    quotes: quoted.filter((entry) => entry !== null),
    mentionedIn: mentioned.nodes.map(withUrl),
    wrote: wrote.nodes.map(withUrl),
  };
  return page.quotes.length + page.mentionedIn.length + page.wrote.length > 0 ? page : null;
}
