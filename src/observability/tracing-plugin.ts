import type { ApolloServerPlugin } from '@apollo/server';
import { endSpan, nameRequestOperation, startSpan, tracingEnabled } from '../shared/tracing.ts';

/**
 * Names the request's span after its operation and times execution as `graphql.execute`. Apollo runs
 * execution outside any hook of ours, so that span cannot be made the active one: the request's
 * DataLoader batches and statements are its siblings, under the request span.
 */
export const tracingPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    if (!tracingEnabled()) return;
    return {
      async didResolveOperation({ operationName, operation }) {
        nameRequestOperation(operationName ?? undefined, operation?.operation);
      },
      async executionDidStart({ operationName, operation }) {
        const span = startSpan('graphql.execute', {
          'graphql.operation.type': operation.operation,
          ...(operationName ? { 'graphql.operation.name': operationName } : {}),
        });
        return {
          async executionDidEnd(error) {
            endSpan(span, error);
          },
        };
      },
    };
  },
};
