import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Viewer } from '../shared/viewer.ts';
import type { Loaders } from './loader-types.ts';
import type { ContentWriter, PreviewSecret } from './content-writer.ts';
import type { ArticleParent } from './parents.ts';
import type { WebhookSettings } from './webhook-settings.ts';

/** What mutations write through: outside the request's read-only snapshot. */
export interface Writes {
  /** The database itself: partner administration writes here. */
  readonly db: Kysely<Database>;
  readonly content: ContentWriter;
  /** An article as the last commit left it, whatever its state (read for editors after a write). */
  articleById(id: number): Promise<ArticleParent>;
  /** Resolves once this gateway's response cache has dropped what announcement `id` covered. */
  settled(id: string): Promise<void>;
  /** The key preview links are signed with, or why minting them is refused. */
  readonly previewSecret?: PreviewSecret;
  /** Whether webhook endpoints may be registered here (PostgreSQL only), and where receivers may be. */
  readonly webhooks: WebhookSettings;
}

/** What a subscription's resolvers need beside the usual context (src/http/subscriptions.ts). */
export interface LiveUpdates {
  /**
   * The process's follower of the change log (one read per batch, whatever the subscribers):
   * `ChangeFollower` of src/modules/changes, described here without importing it (no cycle).
   */
  readonly changes: {
    follow(options: {
      readonly viewer: Viewer;
      readonly after: number | null;
      readonly filter: object;
      readonly maxPending: number;
      readonly onSlow?: () => void;
    }): Promise<AsyncIterableIterator<unknown>>;
  };
  /** Events one subscription may have waiting; past it the connection is closed (`dropSlow`). */
  readonly maxPendingEvents: number;
  /** Closes the subscriber's connection: it reads too slowly. */
  dropSlow(): void;
  /**
   * A fresh set of loaders for the next event: a subscription lives long, and each event must be
   * resolved against the state after it, not what an earlier event's loaders cached.
   */
  renewLoaders(): void;
}

/** What every resolver receives, built once per request (src/graphql/graphql-context.ts). */
export interface GraphQLContext {
  readonly viewer: Viewer;
  readonly loaders: Loaders;
  /** Base of canonical URLs for articles without their own. */
  readonly publicUrl: string;
  /** Publication name for embeds and JSON-LD (BYLINE_PROVIDER_NAME). */
  readonly providerName: string;
  /** Present on the gateway's GraphQL endpoint; absent where nothing may write (embed pages). */
  readonly writes?: Writes;
  /** Present on a subscription's context (WebSocket); absent on HTTP. */
  readonly live?: LiveUpdates;
}
