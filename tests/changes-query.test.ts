import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { correctArticle, takeDownArticle, unpublishArticle } from '../src/ingest/article-lifecycle.ts';
import { bulkIngestArticles } from '../src/ingest/bulk-ingest.ts';
import { ingestArticle } from '../src/ingest/ingest-article.ts';
import { encodeChangeCursor, pruneChanges } from '../src/modules/changes/index.ts';
import { describeEachEngine } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { useGateway } from './helpers/use-gateway.ts';
import { testPartner, viewersByHeader } from './helpers/viewers.ts';
import { sleep } from './helpers/waiting.ts';

const editor = testPartner(7, { scopes: ['editor', 'body'], name: 'Desk CMS' });
const partner = testPartner(8, { scopes: [], name: 'Syndication partner' });

const CHANGES = `query ($after: String, $first: Int, $filter: ChangeFilter) {
  changes(after: $after, first: $first, filter: $filter) {
    edges { cursor node { position type occurredAt articleId slug previousSlug revision article { id slug headline } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

interface Event {
  readonly position: string;
  readonly type: string;
  readonly articleId: string;
  readonly slug: string;
  readonly previousSlug: string | null;
  readonly revision: number;
  readonly article: { id: string; slug: string; headline: string } | null;
}

describeEachEngine('Query.changes', (engine) => {
  const gateway = useGateway(engine, { viewer: viewersByHeader({ editor, partner }) });

  async function page(variables: Record<string, unknown>, viewer?: 'editor' | 'partner') {
    const { body } = await gateway.graphql(CHANGES, {
      variables,
      headers: viewer ? { 'x-test-viewer': viewer } : {},
    });
    return body;
  }

  /** Follows the log from `after` to its end, as a consumer does; returns the events and where to resume. */
  async function follow(
    after: string | null,
    options: { viewer?: 'editor' | 'partner'; filter?: unknown; first?: number } = {},
  ): Promise<{ events: Event[]; cursor: string }> {
    const events: Event[] = [];
    let cursor = after;
    for (;;) {
      const body = await page(
        { after: cursor, first: options.first ?? 100, filter: options.filter },
        options.viewer,
      );
      expect(body.errors).toBeUndefined();
      const changes = body.data!['changes'];
      events.push(...changes.edges.map((edge: { node: Event }) => edge.node));
      cursor = changes.pageInfo.endCursor;
      if (!changes.pageInfo.hasNextPage) return { events, cursor: cursor! };
    }
  }

  const head = async () => {
    const { body } = await gateway.graphql('{ changesHead }');
    return body.data!['changesHead'] as string;
  };

  it('reads a 200-change burst back complete and in position order, following endCursor page by page', async () => {
    const start = await head();
    const documents = Array.from({ length: 150 }, (_, i) => makeArticle({ slug: `feed-burst-${i}` }));
    await bulkIngestArticles(gateway.db, documents, { batchSize: 40 });
    for (let i = 0; i < 50; i++)
      await correctArticle(gateway.db, { slug: `feed-burst-${i}` }, { text: `Fix ${i}.` });
    const { events, cursor } = await follow(start, { first: 30 });
    expect(events).toHaveLength(200);
    const positions = events.map((event) => Number(event.position));
    expect(positions).toEqual(positions.map((_, i) => positions[0]! + i));
    expect(events.slice(0, 150).map((event) => event.type)).toEqual(Array(150).fill('CREATED'));
    expect(events.slice(150).map((event) => [event.type, event.slug, event.revision])).toEqual(
      Array.from({ length: 50 }, (_, i) => ['CORRECTED', `feed-burst-${i}`, 2]),
    );
    // The article id is the one Article.id gives, and the article is there while visible.
    const { body } = await gateway.graphql('{ article(slug: "feed-burst-0") { id } }');
    expect(events[0]!.articleId).toBe(body.data!['article'].id);
    expect(events[0]!.article).toMatchObject({ id: events[0]!.articleId, slug: 'feed-burst-0' });
    // The end: an empty page that still hands back a cursor to keep.
    const end = await page({ after: cursor, first: 10 });
    expect(end.data!['changes']).toEqual({
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: cursor },
    });
  }, 240_000);

  it('shows anonymous callers the takedown of a story they saw, with no article, and never the edits of a draft', async () => {
    const start = await head();
    await ingestArticle(gateway.db, makeArticle({ slug: 'feed-draft', status: 'draft' }));
    await ingestArticle(
      gateway.db,
      makeArticle({ slug: 'feed-draft', status: 'draft', headline: 'Still a draft' }),
    );
    await ingestArticle(gateway.db, makeArticle({ slug: 'feed-seen' }));
    const seen = await follow(start);
    expect(seen.events.map((e) => [e.slug, e.type])).toEqual([['feed-seen', 'CREATED']]);
    await takeDownArticle(gateway.db, { slug: 'feed-seen' }, { reason: 'Court order', by: 'legal desk' });
    await unpublishArticle(gateway.db, { slug: 'feed-burst-1' });
    const next = await follow(seen.cursor);
    expect(next.events.map((e) => [e.slug, e.type, e.article])).toEqual([
      ['feed-seen', 'TAKEN_DOWN', null],
      ['feed-burst-1', 'UNPUBLISHED', null],
    ]);
    expect(next.events[0]!.articleId).toBe(seen.events[0]!.articleId);
    // A partner without `preview` sees what the public sees; an editor sees everything.
    expect((await follow(start, { viewer: 'partner' })).events.map((e) => e.type)).toEqual([
      'CREATED',
      'TAKEN_DOWN',
      'UNPUBLISHED',
    ]);
    const edited = await follow(start, { viewer: 'editor' });
    expect(edited.events.map((e) => [e.slug, e.type])).toEqual([
      ['feed-draft', 'CREATED'],
      ['feed-draft', 'UPDATED'],
      ['feed-seen', 'CREATED'],
      ['feed-seen', 'TAKEN_DOWN'],
      ['feed-burst-1', 'UNPUBLISHED'],
    ]);
    expect(edited.events[1]!.article).toMatchObject({ headline: 'Still a draft' });
  });

  it('shows the publish of an embargoed story to anonymous callers only once the embargo lifts', async () => {
    const start = await head();
    const liftsAt = new Date(Date.now() + 2500);
    await ingestArticle(
      gateway.db,
      makeArticle({ slug: 'feed-embargo', publishedAt: liftsAt.toISOString() }),
    );
    const before = await follow(start);
    expect(before.events).toEqual([]);
    await sleep(Math.max(0, liftsAt.getTime() + 100 - Date.now()));
    const after = await follow(before.cursor);
    expect(after.events.map((e) => [e.slug, e.type, e.article?.slug])).toEqual([
      ['feed-embargo', 'PUBLISHED', 'feed-embargo'],
    ]);
    expect((await follow(after.cursor)).events).toEqual([]);
  });

  it('filters by type, section and tag, and a section follower still gets the takedown of a story that left it', async () => {
    const start = await head();
    const sport = {
      section: { slug: 'feed-sport', name: 'Sport' },
      tags: [{ slug: 'feed-cup', name: 'Cup' }],
    };
    await ingestArticle(gateway.db, makeArticle({ slug: 'feed-match', ...sport }));
    await ingestArticle(gateway.db, makeArticle({ slug: 'feed-elsewhere' }));
    const bySection = await follow(start, { filter: { sections: ['feed-sport'] } });
    expect(bySection.events.map((e) => [e.slug, e.type])).toEqual([['feed-match', 'CREATED']]);
    const byTag = await follow(start, { filter: { tags: ['feed-cup'] } });
    expect(byTag.events.map((e) => e.slug)).toEqual(['feed-match']);
    // Moved to another section: the section's follower gets the move (and drops its copy).
    await ingestArticle(
      gateway.db,
      makeArticle({ slug: 'feed-match', section: { slug: 'world', name: 'World' } }),
    );
    await takeDownArticle(gateway.db, { slug: 'feed-match' }, { reason: 'Legal', by: 'legal desk' });
    const next = await follow(bySection.cursor, { filter: { sections: ['feed-sport'] } });
    expect(next.events.map((e) => [e.slug, e.type, e.article])).toEqual([['feed-match', 'UPDATED', null]]);
    const byType = await follow(start, { filter: { types: ['TAKEN_DOWN'] } });
    expect(byType.events.map((e) => e.slug)).toEqual(['feed-match']);
    const match = await follow(start, { filter: { article: byType.events[0]!.articleId } });
    expect(match.events.map((e) => e.type)).toEqual(['CREATED', 'UPDATED', 'TAKEN_DOWN']);
    await ingestArticle(gateway.db, makeArticle({ slug: 'feed-match-2', ...sport }));
    await takeDownArticle(gateway.db, { slug: 'feed-match-2' }, { reason: 'Legal', by: 'legal desk' });
    const followed = await follow(bySection.cursor, { filter: { sections: ['feed-sport'] } });
    expect(followed.events.map((e) => [e.slug, e.type])).toEqual([
      ['feed-match', 'UPDATED'],
      ['feed-match-2', 'CREATED'],
      ['feed-match-2', 'TAKEN_DOWN'],
    ]);
  });

  it('refuses a tampered cursor, a cursor past the end and a page too large, naming the argument', async () => {
    const tampered = await page({ after: 'not-a-cursor' });
    expect(tampered.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'after' });
    expect(tampered.errors![0]!.message).toContain('Argument "after"');
    const otherList = Buffer.from(
      JSON.stringify(['articles:newest', '2024-01-01T00:00:00.000Z', 1]),
    ).toString('base64url');
    expect((await page({ after: otherList })).errors![0]!.extensions).toMatchObject({
      argumentName: 'after',
    });
    const ahead = await page({ after: encodeChangeCursor(10_000_000) });
    expect(ahead.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'after' });
    expect(ahead.errors![0]!.message).toContain('change log ends at position');
    const tooMany = await page({ first: 101 });
    expect(tooMany.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'first' });
    const badArticle = await page({ filter: { article: '!!' } });
    expect(badArticle.errors![0]!.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argumentName: 'filter.article',
    });
  });

  it('is never answered from the response cache: a change shows at the next read', async () => {
    const cursor = await head();
    expect((await follow(cursor)).events).toEqual([]);
    await ingestArticle(gateway.db, makeArticle({ slug: 'feed-fresh' }));
    expect((await follow(cursor)).events.map((e) => e.slug)).toEqual(['feed-fresh']);
  });

  it('refuses a cursor older than the retention with CHANGES_CURSOR_EXPIRED, telling the consumer to resync', async () => {
    const old = await head();
    await ingestArticle(gateway.db, makeArticle({ slug: 'feed-old' }));
    await ingestArticle(gateway.db, makeArticle({ slug: 'feed-old-2' }));
    await sql`update article_changes set occurred_at = occurred_at - interval '100 days'`.execute(gateway.db);
    await ingestArticle(gateway.db, makeArticle({ slug: 'feed-new' }));
    expect(await pruneChanges(gateway.db, 90 * 86_400_000)).toBeGreaterThan(0);
    const expired = await page({ after: old });
    expect(expired.data).toBeNull();
    expect(expired.errors![0]!.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argumentName: 'after',
      reason: 'CHANGES_CURSOR_EXPIRED',
    });
    expect(expired.errors![0]!.message).toMatch(/Resync.*changesHead.*articles/);
    // Without a cursor, the log starts at the oldest event kept.
    expect((await follow(null)).events.map((e) => e.slug)).toEqual(['feed-new']);
  });
});

describeEachEngine('Query.articles by update', (engine) => {
  const gateway = useGateway(engine, {
    articles: [
      makeArticle({ slug: 'upd-a', updatedAt: '2025-01-01T00:00:00Z' }),
      makeArticle({ slug: 'upd-b', updatedAt: '2025-03-01T00:00:00Z' }),
      makeArticle({ slug: 'upd-c', updatedAt: '2025-02-01T00:00:00Z' }),
      makeArticle({ slug: 'upd-draft', updatedAt: '2025-04-01T00:00:00Z', status: 'draft' }),
    ],
  });
  const list = async (variables: Record<string, unknown>) => {
    const { body } = await gateway.graphql(
      `query ($filter: ArticleFilter, $after: String, $first: Int) {
        articles(filter: $filter, orderBy: UPDATED_AT_DESC, first: $first, after: $after) {
          nodes { slug updatedAt } pageInfo { endCursor hasNextPage }
        }
      }`,
      { variables },
    );
    expect(body.errors).toBeUndefined();
    return body.data!['articles'];
  };

  it('lists articles most recently updated first, page by page, without drafts', async () => {
    const first = await list({ first: 2 });
    expect(first.nodes.map((n: { slug: string }) => n.slug)).toEqual(['upd-b', 'upd-c']);
    const second = await list({ first: 2, after: first.pageInfo.endCursor });
    expect(second.nodes.map((n: { slug: string }) => n.slug)).toEqual(['upd-a']);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it('narrows to articles updated at or after an instant', async () => {
    const since = await list({ filter: { updatedAfter: '2025-02-01T00:00:00Z' } });
    expect(since.nodes.map((n: { slug: string }) => n.slug)).toEqual(['upd-b', 'upd-c']);
  });
});
