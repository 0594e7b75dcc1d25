/**
 * Keeps a copy of Byline's articles: an initial sync through `articles`, then follows `changes`.
 * Run it with Node 24 (`node docs/examples/sync-and-follow.ts http://localhost:4000/graphql`); the
 * test tests/changes-example.test.ts runs this very file against a gateway. See docs/changes.md.
 */

/** What the consumer keeps of an article: here, a few fields by its global ID. */
export interface ArticleCopy {
  readonly id: string;
  readonly slug: string;
  readonly headline: string;
  readonly updatedAt: string;
}

/** Where the copies and the cursor live: a database in a real consumer, a Map here. */
export interface CopyStore {
  readonly articles: Map<string, ArticleCopy>;
  cursor: string | null;
}

interface GraphQLAnswer<T> {
  readonly data?: T | null;
  readonly errors?: readonly { message: string; extensions?: Record<string, unknown> }[];
}

const ARTICLE_FIELDS = 'id slug headline updatedAt';

async function graphql<T>(
  endpoint: string,
  query: string,
  variables: Record<string, unknown>,
): Promise<GraphQLAnswer<T>> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLAnswer<T>;
}

function fail(answer: GraphQLAnswer<unknown>): never {
  throw new Error(answer.errors?.map((error) => error.message).join('; ') ?? 'no data');
}

/**
 * Initial sync: takes the log's head FIRST, then copies every article. A change made during the copy
 * is after that cursor, so following from it repeats it rather than missing it (applying an event
 * twice is harmless: each one says to fetch or to delete).
 */
export async function initialSync(endpoint: string, store: CopyStore): Promise<void> {
  const head = await graphql<{ changesHead: string }>(endpoint, '{ changesHead }', {});
  if (!head.data) fail(head);
  store.articles.clear();
  let after: string | null = null;
  for (;;) {
    const page: GraphQLAnswer<{
      articles: { nodes: ArticleCopy[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    }> = await graphql(
      endpoint,
      `query ($after: String) {
        articles(first: 100, after: $after, orderBy: UPDATED_AT_DESC) {
          nodes { ${ARTICLE_FIELDS} }
          pageInfo { hasNextPage endCursor }
        }
      }`,
      { after },
    );
    if (!page.data) fail(page);
    for (const article of page.data.articles.nodes) store.articles.set(article.id, article);
    if (!page.data.articles.pageInfo.hasNextPage) break;
    after = page.data.articles.pageInfo.endCursor;
  }
  store.cursor = head.data.changesHead;
}

interface ChangesPage {
  readonly changes: {
    readonly nodes: readonly { type: string; articleId: string; article: ArticleCopy | null }[];
    readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string };
  };
}

/**
 * Applies every change after the stored cursor, page by page, and stores the new cursor after each
 * page (store it in the same transaction as the copies in a real consumer). Returns how many events
 * it applied. A cursor older than the retention: resync from scratch.
 */
export async function followChanges(endpoint: string, store: CopyStore): Promise<number> {
  if (store.cursor === null) await initialSync(endpoint, store);
  let applied = 0;
  for (;;) {
    const answer = await graphql<ChangesPage>(
      endpoint,
      `query ($after: String) {
        changes(after: $after, first: 100) {
          nodes { type articleId article { ${ARTICLE_FIELDS} } }
          pageInfo { hasNextPage endCursor }
        }
      }`,
      { after: store.cursor },
    );
    if (answer.errors?.some((error) => error.extensions?.['reason'] === 'CHANGES_CURSOR_EXPIRED')) {
      await initialSync(endpoint, store);
      continue;
    }
    if (!answer.data) fail(answer);
    for (const event of answer.data.changes.nodes) {
      // No article: taken down, deleted, unpublished or otherwise gone for this caller. Delete the copy.
      if (event.article === null) store.articles.delete(event.articleId);
      else store.articles.set(event.articleId, event.article);
      applied += 1;
    }
    store.cursor = answer.data.changes.pageInfo.endCursor;
    if (!answer.data.changes.pageInfo.hasNextPage) return applied;
  }
}

// Run directly: sync, then poll every 5 seconds.
if (import.meta.url === `file://${process.argv[1]}`) {
  const endpoint = process.argv[2] ?? 'http://localhost:4000/graphql';
  const store: CopyStore = { articles: new Map(), cursor: null };
  for (;;) {
    const applied = await followChanges(endpoint, store);
    if (applied > 0)
      process.stdout.write(`${applied} changes applied; ${store.articles.size} articles held\n`);
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
}
