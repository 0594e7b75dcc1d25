import { GraphQLError } from 'graphql';
import type { Resolvers } from '../../generated/resolvers-types.ts';
import type { GraphQLContext } from '../context.ts';
import {
  decodeChangeCursor,
  encodeChangeCursor,
  toChangeFilter,
  type ChangeEventEdgeParent,
  type ChangeEventRow,
} from '../changes/index.ts';

export const liveResolvers: Resolvers = {
  Subscription: {
    changes: {
      subscribe: async (_parent, args, context) => {
        const { live } = context;
        if (!live) {
          throw new GraphQLError(
            'Subscriptions run over WebSocket (graphql-ws) at /graphql, not over HTTP; see docs/changes.md.',
            { extensions: { code: 'BAD_REQUEST' } },
          );
        }
        const after = args.after != null ? decodeChangeCursor(args.after, 'after') : null;
        const filter = await toChangeFilter(context, args.filter);
        const events = await live.changes.follow({
          viewer: context.viewer,
          after,
          filter,
          maxPending: live.maxPendingEvents,
          onSlow: live.dropSlow,
        });
        return events;
      },
      // Each event as the edge `Query.changes` gives it, resolved with loaders fresh for that event.
      resolve: (event: ChangeEventRow, _args: unknown, context: GraphQLContext): ChangeEventEdgeParent => {
        context.live?.renewLoaders();
        return { cursor: encodeChangeCursor(event.position), node: event };
      },
    },
  },
};
