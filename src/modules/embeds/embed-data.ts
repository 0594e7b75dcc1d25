import type { StoredBlock } from '../../db/database.ts';
import { canonicalUrl, loadArticlePart } from '../articles/index.ts';
import type { GraphQLContext } from '../context.ts';
import type { ArticleParent, ImageParent, PersonParent, QuoteParent, SectionParent } from '../parents.ts';

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
  /** The role the article gives the speaker, else who they are; null when neither is known. */
  readonly role: string | null;
  readonly kind: 'Person' | 'Organization' | null;
}

export interface QuoteCard {
  readonly quote: QuoteParent;
  readonly speaker: QuoteSpeaker;
  readonly article: ArticleCard;
}

/** Loads through the request's loaders, so the viewer's visibility rule decides what exists. */
export async function loadArticleCard(context: GraphQLContext, article: ArticleParent): Promise<ArticleCard> {
  const [section, image, authors, body] = await Promise.all([
    loadArticlePart(context, article.id, 'section'),
    article.lead_image_id === null ? null : loadArticlePart(context, article.id, 'leadImage'),
    loadArticlePart(context, article.id, 'authors'),
    article.body ?? context.loaders.articleBodyById.load(article.id),
  ]);
  return { article, body, url: canonicalUrl(article, context.publicUrl), section, image, authors };
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
    return { name, role: role ?? person?.description ?? null, kind: 'Person' };
  }
  if (quote.speaker_organization_id !== null) {
    const organization = await context.loaders.organizationById.load(quote.speaker_organization_id);
    return {
      name: organization?.name ?? quote.speaker_name,
      role: organization?.description ?? null,
      kind: 'Organization',
    };
  }
  return { name: quote.speaker_name, role: null, kind: null };
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
