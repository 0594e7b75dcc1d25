import type { Resolvers } from '../../generated/resolvers-types.ts';
import { fromGlobalIdOf, toGlobalId } from '../../shared/global-id.ts';
import { searchText } from '../search/index.ts';
import { resolveQuoteConnection } from './quote-connection.ts';
import type { QuoteListFilter } from './quotes.repository.ts';

export const quoteResolvers: Resolvers = {
  Query: {
    quote: (_parent, args, context) => {
      const id = fromGlobalIdOf('Quote', args.id, 'id');
      return id === undefined ? null : context.loaders.quoteById.load(id);
    },
    quotes: async (_parent, args, context, info) => {
      const filter: QuoteListFilter = {
        ...(args.filter?.speaker != null && { speakerSlug: args.filter.speaker }),
        ...(args.filter?.article != null && { articleSlug: args.filter.article }),
        ...(args.filter?.query != null && {
          text: await searchText(context, args.filter.query, 'filter.query'),
        }),
        ...(args.filter?.saidAfter != null && { saidAfter: args.filter.saidAfter }),
        ...(args.filter?.saidBefore != null && { saidBefore: args.filter.saidBefore }),
      };
      return resolveQuoteConnection(context, { filter, first: args.first, after: args.after }, info);
    },
  },
  Quote: {
    id: (quote) => toGlobalId('Quote', quote.id),
    speakerName: (quote) => quote.speaker_name,
    position: (quote) => quote.block_position,
    speaker: (quote, _args, context) => {
      if (quote.speaker_person_id !== null) return context.loaders.personById.load(quote.speaker_person_id);
      if (quote.speaker_organization_id !== null) {
        return context.loaders.organizationById.load(quote.speaker_organization_id);
      }
      return null;
    },
    article: async (quote, _args, context) => {
      const article = await context.loaders.articleById.load(quote.article_id);
      // A quote is only ever reached through a visible article; a miss means that broke.
      if (!article) throw new Error(`Quote ${quote.id} reached without its article being visible`);
      return article;
    },
  },
  Speaker: {
    __resolveType: (speaker) => speaker.__typename,
  },
};
