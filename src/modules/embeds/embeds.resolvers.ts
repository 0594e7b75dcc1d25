import type { Resolvers } from '../../generated/resolvers-types.ts';
import type { GraphQLContext } from '../context.ts';
import { loadArticleCard, loadQuoteCard, type QuoteCard } from './embed-data.ts';
import { embedUrls } from './embed-urls.ts';
import { articleJsonLd, quoteJsonLd } from './json-ld.ts';
import { articleSize, iframeHtml, quoteSize } from './oembed.ts';
import { truncate } from './embed-pages.ts';
import type { QuoteParent } from '../parents.ts';

/** The partner a card's iframe URL names, so only its origins may frame it. */
function partnerIdOf(context: GraphQLContext): number | null {
  return context.viewer.kind === 'partner' ? context.viewer.partnerId : null;
}

async function quoteCardOf(context: GraphQLContext, quote: QuoteParent): Promise<QuoteCard> {
  const card = await loadQuoteCard(context, quote);
  // A quote is only reached through a visible article; a miss means that broke.
  if (!card) throw new Error(`Quote ${quote.id} reached without its article being visible`);
  return card;
}

export const embedResolvers: Resolvers = {
  Article: {
    embed: async (article, _args, context) => {
      const card = await loadArticleCard(context, article);
      const size = articleSize(card);
      const iframeUrl = embedUrls.articleEmbed(context.publicUrl, article.slug, partnerIdOf(context));
      return {
        html: iframeHtml(iframeUrl, article.headline, size),
        iframeUrl,
        oembedUrl: embedUrls.oembed(context.publicUrl, card.url),
        ...size,
      };
    },
    jsonLd: async (article, _args, context) =>
      articleJsonLd(await loadArticleCard(context, article), context),
  },
  Quote: {
    embed: async (quote, _args, context) => {
      const card = await quoteCardOf(context, quote);
      const size = quoteSize();
      const iframeUrl = embedUrls.quoteEmbed(context.publicUrl, quote.id, partnerIdOf(context));
      return {
        html: iframeHtml(iframeUrl, `${card.speaker.name}: “${truncate(quote.text, 100)}”`, size),
        iframeUrl,
        oembedUrl: embedUrls.oembed(context.publicUrl, embedUrls.quotePage(context.publicUrl, quote.id)),
        ...size,
      };
    },
    jsonLd: async (quote, _args, context) => quoteJsonLd(await quoteCardOf(context, quote), context),
  },
};
