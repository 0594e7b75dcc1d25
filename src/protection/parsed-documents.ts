import { parse, type DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';

/**
 * GET documents, parsed once per distinct text and remembered by its sha256 (the APQ hash): the
 * method guard and the cache policy read the same parse. Apollo keeps its own parsed copy in its
 * document store, which is filled only after validation, so it cannot be handed this one.
 */
export interface ParsedDocuments {
  /** The document of `query` (whose sha256 is `hash`), or undefined when it does not parse. */
  parsed(hash: string, query: string): DocumentNode | undefined;
}

export function parsedDocuments(maxTokens: number, max = 1000): ParsedDocuments {
  // Text that does not parse is remembered too; GraphQL answers its syntax error itself.
  const known = new LRUCache<string, DocumentNode | { readonly unparseable: true }>({ max });
  const unparseable = { unparseable: true } as const;
  return {
    parsed(hash, query) {
      let found = known.get(hash);
      if (!found) {
        try {
          found = parse(query, { maxTokens });
        } catch {
          found = unparseable;
        }
        known.set(hash, found);
      }
      return found === unparseable ? undefined : (found as DocumentNode);
    },
  };
}
