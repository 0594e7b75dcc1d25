import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open-database.ts';
import {
  changeArticleSlug,
  correctArticle,
  takeDownArticle,
  unpublishArticle,
} from '../src/ingest/article-lifecycle.ts';
import { bulkIngestArticles } from '../src/ingest/bulk-ingest.ts';
import { ingestArticle } from '../src/ingest/ingest-article.ts';
import {
  appendChanges,
  appendDueEmbargoLifts,
  listChanges,
  pruneChanges,
  type ChangeEventRow,
  type ChangeFilter,
} from '../src/modules/changes/index.ts';
import { anonymousViewer, type Viewer } from '../src/shared/viewer.ts';
import { describeEachEngine, describePostgres, type TestDatabase } from './helpers/engines.ts';
import { makeArticle } from './helpers/fixtures.ts';
import { previewViewer, testPartner } from './helpers/viewers.ts';
import { sleep } from './helpers/waiting.ts';

const editor = testPartner(9, { scopes: ['editor'] });

/** Every event after `after`, following the log page by page as a consumer does. */
async function follow(
  db: Kysely<Database>,
  options: { after?: number; viewer?: Viewer; filter?: ChangeFilter; first?: number } = {},
): Promise<{ events: ChangeEventRow[]; end: number }> {
  const events: ChangeEventRow[] = [];
  let after = options.after ?? 0;
  for (;;) {
    const page = await listChanges(db, {
      after,
      first: options.first ?? 100,
      filter: options.filter,
      viewer: options.viewer ?? editor,
    });
    events.push(...page.events);
    after = page.endPosition;
    if (!page.hasNextPage) return { events, end: after };
  }
}

async function head(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ last: number }>`select last_position as last from article_change_log`.execute(
    db,
  );
  return rows[0]!.last;
}

describeEachEngine('the change log', (engine) => {
  let database: TestDatabase;
  let db: Kysely<Database>;
  beforeAll(async () => {
    database = await engine.open();
    db = database.handle.db;
  });
  afterAll(() => database.drop());

  const since = async (after: number, viewer: Viewer = editor) =>
    (await follow(db, { after, viewer })).events;

  describe('appending', () => {
    it('appends exactly one event of the right type for each kind of change, with the article as of it', async () => {
      const start = await head(db);
      const created = await ingestArticle(
        db,
        makeArticle({ slug: 'log-kinds', tags: [{ slug: 'log-a', name: 'A' }] }),
      );
      await ingestArticle(
        db,
        makeArticle({ slug: 'log-kinds', headline: 'Edited', tags: [{ slug: 'log-b', name: 'B' }] }),
      );
      await correctArticle(db, { slug: 'log-kinds' }, { text: 'An earlier version misspelt a name.' });
      await changeArticleSlug(db, { slug: 'log-kinds' }, { slug: 'log-kinds-renamed' });
      await unpublishArticle(db, { slug: 'log-kinds-renamed' });
      await ingestArticle(
        db,
        makeArticle({ slug: 'log-kinds-renamed', headline: 'Back', status: 'published' }),
      );
      await takeDownArticle(db, { slug: 'log-kinds-renamed' }, { reason: 'Court order', by: 'legal desk' });
      const events = await since(start);
      expect(events.map((e) => [e.type, e.slug, e.previous_slug, e.revision])).toEqual([
        ['created', 'log-kinds', null, 1],
        ['updated', 'log-kinds', null, 2],
        ['corrected', 'log-kinds', null, 3],
        ['slug_changed', 'log-kinds-renamed', 'log-kinds', 4],
        ['unpublished', 'log-kinds-renamed', null, 5],
        ['published', 'log-kinds-renamed', null, 6],
        ['taken_down', 'log-kinds-renamed', null, 7],
      ]);
      expect(new Set(events.map((e) => e.article_id))).toEqual(new Set([created.articleId]));
      const positions = events.map((e) => e.position);
      expect(positions).toEqual(positions.map((_, i) => start + 1 + i));
      const tags = await db
        .selectFrom('tags')
        .select(['id', 'slug'])
        .where('slug', 'in', ['log-a', 'log-b'])
        .execute();
      const tagId = (slug: string) => tags.find((t) => t.slug === slug)!.id;
      expect(events[0]!.tag_ids).toEqual([tagId('log-a')]);
      // A change carries the terms before and after it: the tag it left, and the one it has now.
      expect(events[1]!.tag_ids).toEqual([tagId('log-a'), tagId('log-b')].sort((a, b) => a - b));
      expect(events[2]!.tag_ids).toEqual([tagId('log-b')]);
      expect(events.at(-1)).toMatchObject({ state_before: 'published', state_after: 'taken_down' });
    });

    it('appends nothing for an unchanged re-ingest or a refused change', async () => {
      const document = makeArticle({ slug: 'log-unchanged' });
      await ingestArticle(db, document);
      const start = await head(db);
      expect((await ingestArticle(db, document)).outcome).toBe('unchanged');
      await expect(ingestArticle(db, document, { expectedRevision: 7 })).rejects.toThrow(/revision/);
      await expect(unpublishArticle(db, { slug: 'log-no-such-article' })).rejects.toThrow(/no article/);
      expect(await head(db)).toBe(start);
      expect(await since(start)).toEqual([]);
    });

    it('appends nothing when the transaction that appended rolls back', async () => {
      const { articleId } = await ingestArticle(db, makeArticle({ slug: 'log-rollback' }));
      const start = await head(db);
      await expect(
        db.transaction().execute(async (trx) => {
          await trx.updateTable('articles').set({ headline: 'Never' }).where('id', '=', articleId).execute();
          await appendChanges(trx, [{ type: 'derive', articleId, before: null }]);
          throw new Error('the writer failed after appending');
        }),
      ).rejects.toThrow('the writer failed');
      expect(await head(db)).toBe(start);
      await correctArticle(db, { id: articleId }, { text: 'A fact was wrong.' });
      expect((await since(start)).map((e) => [e.position, e.type])).toEqual([[start + 1, 'corrected']]);
    });

    it('records a story a replacing document deletes, with what it had', async () => {
      const victim = await ingestArticle(db, makeArticle({ slug: 'log-victim', sourceId: 'log:victim' }));
      await ingestArticle(db, makeArticle({ slug: 'log-taker', sourceId: 'log:taker' }));
      const start = await head(db);
      await ingestArticle(db, makeArticle({ slug: 'log-victim', sourceId: 'log:taker' }), { replace: true });
      const events = await since(start);
      expect(events.map((e) => [e.type, e.slug, e.previous_slug])).toEqual([
        ['deleted', 'log-victim', null],
        ['slug_changed', 'log-victim', 'log-taker'],
      ]);
      expect(events[0]).toMatchObject({
        article_id: victim.articleId,
        state_before: 'published',
        state_after: 'absent',
      });
      expect(events[0]!.section_ids.length).toBe(1);
    });

    it('appends a created event per article of a bulk ingest, in one log order', async () => {
      const start = await head(db);
      const documents = Array.from({ length: 30 }, (_, i) => makeArticle({ slug: `log-bulk-${i}` }));
      const result = await bulkIngestArticles(db, documents, { batchSize: 12 });
      expect(result.created).toBe(30);
      const events = await since(start);
      expect(events.map((e) => e.type)).toEqual(Array(30).fill('created'));
      expect(events.map((e) => e.slug).sort()).toEqual(documents.map((d) => d.slug).sort());
      expect(events.map((e) => e.position)).toEqual(events.map((_, i) => start + 1 + i));
    });
  });

  describe('reading', () => {
    it('reads a 200-change burst back complete and in position order, page by page', async () => {
      const start = await head(db);
      const { articleId } = await ingestArticle(db, makeArticle({ slug: 'log-burst' }));
      for (let i = 1; i < 200; i++) await correctArticle(db, { id: articleId }, { text: `Correction ${i}.` });
      const { events, end } = await follow(db, { after: start, first: 7 });
      expect(events).toHaveLength(200);
      expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      expect(events.map((e) => e.position)).toEqual(events.map((_, i) => start + 1 + i));
      expect(end).toBe(start + 200);
      const empty = await listChanges(db, { after: end, first: 10, viewer: anonymousViewer });
      expect(empty).toMatchObject({ events: [], hasNextPage: false, endPosition: end });
    }, 240_000);

    it("hides a draft's edits from anonymous callers and shows the takedown of what they could see", async () => {
      const start = await head(db);
      const draft = await ingestArticle(db, makeArticle({ slug: 'log-draft', status: 'draft' }));
      await ingestArticle(db, makeArticle({ slug: 'log-draft', status: 'draft', headline: 'Draft edit' }));
      const seen = await ingestArticle(db, makeArticle({ slug: 'log-seen' }));
      await takeDownArticle(db, { slug: 'log-seen' }, { reason: 'Legal', by: 'legal desk' });
      await takeDownArticle(db, { slug: 'log-draft' }, { reason: 'Legal', by: 'legal desk' });
      const anonymous = await since(start, anonymousViewer);
      expect(anonymous.map((e) => [e.slug, e.type])).toEqual([
        ['log-seen', 'created'],
        ['log-seen', 'taken_down'],
      ]);
      const preview = await since(start, previewViewer);
      expect(preview.map((e) => [e.slug, e.type])).toEqual([
        ['log-draft', 'created'],
        ['log-draft', 'updated'],
        ['log-seen', 'created'],
        ['log-seen', 'taken_down'],
        ['log-draft', 'taken_down'],
      ]);
      expect((await since(start, editor)).length).toBe(5);
      expect(seen.articleId).not.toBe(draft.articleId);
      // A page of only hidden events still moves an anonymous follower to the head.
      const page = await listChanges(db, {
        after: start,
        first: 1,
        viewer: anonymousViewer,
        filter: { types: ['updated'] },
      });
      expect(page).toMatchObject({ events: [], hasNextPage: false, endPosition: await head(db) });
    });

    it('shows an embargoed publish to anonymous callers once, only when the embargo lifts', async () => {
      const start = await head(db);
      const liftsAt = new Date(Date.now() + 2500);
      await ingestArticle(db, makeArticle({ slug: 'log-embargo', publishedAt: liftsAt.toISOString() }));
      await ingestArticle(
        db,
        makeArticle({ slug: 'log-embargo', publishedAt: liftsAt.toISOString(), headline: 'Embargoed edit' }),
      );
      expect(await appendDueEmbargoLifts(db)).toBe(0);
      expect(await since(start, anonymousViewer)).toEqual([]);
      expect((await since(start, editor)).map((e) => e.type)).toEqual(['created', 'updated']);
      await sleep(Math.max(0, liftsAt.getTime() + 50 - Date.now()));
      const [first, second] = await Promise.all([appendDueEmbargoLifts(db), appendDueEmbargoLifts(db)]);
      expect(first + second).toBe(1);
      expect(await appendDueEmbargoLifts(db)).toBe(0);
      const anonymous = await since(start, anonymousViewer);
      expect(anonymous.map((e) => [e.slug, e.type, e.state_before, e.state_after])).toEqual([
        ['log-embargo', 'published', 'embargoed', 'published'],
      ]);
      expect(anonymous[0]!.occurred_at.getTime()).toBeGreaterThanOrEqual(liftsAt.getTime());
    });

    it('appends a lift that is due before the next change to the same article', async () => {
      const start = await head(db);
      const liftsAt = new Date(Date.now() + 1500);
      await ingestArticle(db, makeArticle({ slug: 'log-embargo-2', publishedAt: liftsAt.toISOString() }));
      await sleep(Math.max(0, liftsAt.getTime() + 50 - Date.now()));
      await ingestArticle(db, makeArticle({ slug: 'log-other-after-lift' }));
      await correctArticle(db, { slug: 'log-embargo-2' }, { text: 'A date was wrong.' });
      expect((await since(start, anonymousViewer)).map((e) => [e.slug, e.type])).toEqual([
        ['log-embargo-2', 'published'],
        ['log-other-after-lift', 'created'],
        ['log-embargo-2', 'corrected'],
      ]);
    });

    it("filters by type, section and tag on the article's terms as of the event", async () => {
      const start = await head(db);
      await ingestArticle(
        db,
        makeArticle({
          slug: 'log-filtered',
          section: { slug: 'log-sport', name: 'Sport' },
          tags: [{ slug: 'log-cup', name: 'Cup' }],
        }),
      );
      await ingestArticle(db, makeArticle({ slug: 'log-unfiltered' }));
      // Moved out of the section and tag, then taken down: a filtered follower still gets the takedown.
      await ingestArticle(
        db,
        makeArticle({ slug: 'log-filtered', section: { slug: 'world', name: 'World' }, tags: [] }),
      );
      const sport = await db
        .selectFrom('sections')
        .select('id')
        .where('slug', '=', 'log-sport')
        .executeTakeFirstOrThrow();
      const cup = await db
        .selectFrom('tags')
        .select('id')
        .where('slug', '=', 'log-cup')
        .executeTakeFirstOrThrow();
      await takeDownArticle(db, { slug: 'log-filtered' }, { reason: 'Legal', by: 'legal desk' });
      const bySection = await follow(db, {
        after: start,
        viewer: anonymousViewer,
        filter: { sectionIds: [sport.id] },
      });
      // The move out of the section and tag reaches their followers (the event carries before and after).
      const movedOut = [
        ['log-filtered', 'created'],
        ['log-filtered', 'updated'],
      ];
      expect(bySection.events.map((e) => [e.slug, e.type])).toEqual(movedOut);
      const byTag = await follow(db, { after: start, viewer: anonymousViewer, filter: { tagIds: [cup.id] } });
      expect(byTag.events.map((e) => [e.slug, e.type])).toEqual(movedOut);
      const byType = await follow(db, { after: start, filter: { types: ['taken_down'] } });
      expect(byType.events.map((e) => e.slug)).toEqual(['log-filtered']);
      // The takedown of an article still in its section reaches the section's follower.
      await ingestArticle(
        db,
        makeArticle({ slug: 'log-filtered-2', section: { slug: 'log-sport', name: 'Sport' } }),
      );
      await takeDownArticle(db, { slug: 'log-filtered-2' }, { reason: 'Legal', by: 'legal desk' });
      const again = await follow(db, {
        after: bySection.end,
        viewer: anonymousViewer,
        filter: { sectionIds: [sport.id] },
      });
      expect(again.events.map((e) => [e.slug, e.type])).toEqual([
        ['log-filtered-2', 'created'],
        ['log-filtered-2', 'taken_down'],
      ]);
    });

    it('prunes a prefix of the log older than the retention and remembers where it ended', async () => {
      await ingestArticle(db, makeArticle({ slug: 'log-before-prune' }));
      const before = await head(db);
      await sql`update article_changes set occurred_at = occurred_at - interval '100 days' where position <= ${before}`.execute(
        db,
      );
      await ingestArticle(db, makeArticle({ slug: 'log-after-prune' }));
      expect(await pruneChanges(db, 90 * 24 * 3600 * 1000)).toBeGreaterThan(0);
      const page = await listChanges(db, { after: 0, first: 100, viewer: editor });
      expect(page.prunedThrough).toBe(before);
      expect(page.events.map((e) => e.slug)).toEqual(['log-after-prune']);
      expect(await pruneChanges(db, 90 * 24 * 3600 * 1000)).toBe(0);
    });
  });
});

describePostgres('the change log under concurrent writers', (engine) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await engine.open();
  });
  afterAll(() => database.drop());

  it('hands out positions in commit order: a reader never passes an event that commits later', async () => {
    const db = database.handle.db;
    // A second pool, so the two writers and the reader use separate connections.
    const other = await openDatabase({ databaseUrl: database.url! });
    try {
      const a = await ingestArticle(db, makeArticle({ slug: 'log-writer-a' }));
      const b = await ingestArticle(db, makeArticle({ slug: 'log-writer-b' }));
      const start = await head(db);
      let releaseA!: () => void;
      const aMayCommit = new Promise<void>((resolve) => (releaseA = resolve));
      let aAppended!: () => void;
      const aHasAppended = new Promise<void>((resolve) => (aAppended = resolve));
      // Writer A appends first, then holds its transaction open.
      const writerA = db.transaction().execute(async (trx) => {
        await trx.updateTable('articles').set({ headline: 'A' }).where('id', '=', a.articleId).execute();
        const before = {
          id: a.articleId,
          slug: 'log-writer-a',
          revision: 1,
          status: 'published' as const,
          published_at: null,
          taken_down_at: null,
          section_ids: [],
          tag_ids: [],
        };
        await appendChanges(trx, [{ type: 'updated', articleId: a.articleId, before }]);
        aAppended();
        await aMayCommit;
      });
      await aHasAppended;
      // Writer B changes another article meanwhile: it must wait for A's commit to take a position.
      const writerB = correctArticle(other.db, { id: b.articleId }, { text: 'B was wrong.' });
      let bDone = false;
      void writerB.then(() => (bDone = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(bDone).toBe(false);
      // A reader now sees neither event (A has not committed; B has no position yet).
      expect((await follow(other.db, { after: start })).events).toEqual([]);
      releaseA();
      await writerA;
      await writerB;
      const events = (await follow(other.db, { after: start })).events;
      expect(events.map((e) => [e.position, e.slug])).toEqual([
        [start + 1, 'log-writer-a'],
        [start + 2, 'log-writer-b'],
      ]);
    } finally {
      await other.close();
    }
  });

  it('loses no event and repeats none while many writers and a follower run at once', async () => {
    const db = database.handle.db;
    const other = await openDatabase({ databaseUrl: database.url! });
    try {
      const start = await head(db);
      const seen: ChangeEventRow[] = [];
      let after = start;
      let writing = true;
      const follower = (async () => {
        while (writing || after < (await head(db))) {
          const page = await listChanges(other.db, { after, first: 50, viewer: editor });
          seen.push(...page.events);
          after = page.endPosition;
        }
      })();
      await Promise.all(
        [db, other.db, db, other.db].map(async (writer, w) => {
          for (let i = 0; i < 15; i++)
            await ingestArticle(writer, makeArticle({ slug: `log-race-${w}-${i}` }));
        }),
      );
      writing = false;
      await follower;
      expect(seen.map((e) => e.position)).toEqual(Array.from({ length: 60 }, (_, i) => start + 1 + i));
    } finally {
      await other.close();
    }
  });
});
