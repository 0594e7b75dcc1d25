import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { ArticleChangeType, ArticleStatus, Database } from '../../db/database.ts';
import type { Viewer } from '../../shared/viewer.ts';
import type { ChangeEventRow } from './changes.mappers.ts';
import { articleChangeState, changeIsVisible } from '../articles/index.ts';

type Db = Kysely<Database> | Transaction<Database>;

export type { ChangeEventRow };

/** Announced on commit of every append, with the log's last position: followers wake on it. */
export const CHANGES_CHANNEL = 'byline_changes';

/** Every type of change event, in the order the docs describe them. */
export const CHANGE_TYPES = [
  'created',
  'updated',
  'published',
  'unpublished',
  'corrected',
  'slug_changed',
  'taken_down',
  'deleted',
] as const satisfies readonly ArticleChangeType[];

/** An article as it is before a change: what the event needs of it once the change is written. */
export interface ArticleBefore {
  readonly id: number;
  readonly slug: string;
  readonly revision: number;
  readonly status: ArticleStatus;
  readonly published_at: Date | null;
  readonly taken_down_at: Date | null;
  readonly section_ids: number[];
  readonly tag_ids: number[];
}

/**
 * One change to record, read when appended:
 * - an article that exists after the change: its slug, revision, section and tags are read from its
 *   row as the transaction left it; `before` is the article before the change (null: created);
 * - `deleted`: the row is gone (a story replaced by another), so the event is `before` itself.
 * `type: 'derive'` (an upsert) picks `published`, `unpublished`, `slug_changed` or `updated` from
 * the states before and after and `previousSlug`.
 */
export interface ChangeToAppend {
  readonly type: Exclude<ArticleChangeType, 'created'> | 'created' | 'derive';
  readonly articleId: number;
  readonly before: ArticleBefore | null;
  readonly previousSlug?: string | null | undefined;
}

const tagIdsOf = (articleId: RawBuilder<unknown>) =>
  sql<
    number[]
  >`coalesce((select array_agg(t.tag_id order by t.position) from article_tags t where t.article_id = ${articleId}), '{}')`;

/** The article as it is now, for a change about to be written to it (inside its transaction). */
export async function findArticleBefore(db: Db, articleId: number): Promise<ArticleBefore | undefined> {
  const { rows } = await sql<ArticleBefore>`
    select a.id, a.slug, a.revision, a.status, a.published_at, a.taken_down_at,
      array[a.section_id] as section_ids, ${tagIdsOf(sql`a.id`)} as tag_ids
    from articles a where a.id = ${articleId}`.execute(db);
  return rows[0];
}

interface LogLock {
  last: number;
  /** `clock_timestamp()` under the lock, as text (microseconds kept): every state is judged at it. */
  readonly clock: string;
}

/**
 * Takes the log's row lock (held to commit: the next writer waits, so positions follow commit
 * order), then appends the `published` event of every embargo that lifted since the last check,
 * except for `skip` (articles whose own event this transaction appends, judged at the same clock).
 */
async function lockLog(db: Db, skip: readonly number[]): Promise<LogLock> {
  const { rows } = await sql<{ last_position: number; until: string }>`
    select last_position, lifts_checked_until::text as until from article_change_log for update`.execute(db);
  const locked = rows[0];
  if (!locked)
    throw new Error('article_change_log has no row: expected the one row migration 202612030101 inserts');
  const { rows: clockRows } = await sql<{ clock: string }>`select clock_timestamp()::text as clock`.execute(
    db,
  );
  const lock: LogLock = { last: locked.last_position, clock: clockRows[0]!.clock };
  const clock = sql`${lock.clock}::timestamptz`;
  const until = sql`${locked.until}::timestamptz`;
  const lifted = await sql`
    insert into article_changes (position, type, occurred_at, article_id, slug, previous_slug, revision,
      section_ids, tag_ids, published_at, state_before, state_after)
    select ${lock.last}::bigint + row_number() over (order by a.published_at, a.id), 'published', ${clock},
      a.id, a.slug, null, a.revision, array[a.section_id], ${tagIdsOf(sql`a.id`)}, a.published_at,
      'embargoed', 'published'
    from articles a
    where a.listed_at > ${until} and a.listed_at <= ${clock}
      and a.status = 'published' and a.taken_down_at is null
      and a.published_at > ${until} and a.published_at <= ${clock}
      and a.id <> all(${[...skip]}::int[])
      and coalesce((select c.state_after from article_changes c where c.article_id = a.id
        order by c.position desc limit 1), 'embargoed') = 'embargoed'`.execute(db);
  lock.last += Number(lifted.numAffectedRows ?? 0);
  return lock;
}

async function finishLog(db: Db, lock: LogLock): Promise<void> {
  await sql`update article_change_log
    set last_position = ${lock.last}, lifts_checked_until = ${lock.clock}::timestamptz`.execute(db);
  await sql`select pg_notify(${CHANGES_CHANNEL}, ${String(lock.last)})`.execute(db);
}

/**
 * The terms of the article after the change and those it had before: a follower filtered by a
 * section gets the change that moves an article out of it (and so learns to drop its copy).
 */
function union(after: RawBuilder<unknown>, before: readonly number[] | undefined) {
  if (!before) return after;
  return sql`array(select distinct t from unnest(${after} || ${[...before]}::int[]) as t order by t)`;
}

function beforeRow(before: ArticleBefore | null) {
  return sql`(select ${before?.status ?? 'draft'}::text as status,
    ${before?.published_at ?? null}::timestamptz as published_at,
    ${before?.taken_down_at ?? null}::timestamptz as taken_down_at)`;
}

async function appendOne(db: Db, lock: LogLock, change: ChangeToAppend): Promise<void> {
  const clock = sql`${lock.clock}::timestamptz`;
  const position = lock.last + 1;
  const { before } = change;
  if (change.type === 'deleted') {
    if (!before) throw new Error('a deleted event needs the article as it was');
    await sql`
      insert into article_changes (position, type, occurred_at, article_id, slug, previous_slug, revision,
        section_ids, tag_ids, published_at, state_before, state_after)
      select ${position}::bigint, 'deleted', ${clock}, ${before.id}, ${before.slug}, null, ${before.revision},
        ${before.section_ids}::int[], ${before.tag_ids}::int[], ${before.published_at}::timestamptz,
        ${articleChangeState(clock, 'b')}, 'absent'
      from ${beforeRow(before)} b`.execute(db);
    lock.last = position;
    return;
  }
  const stateBefore = before ? articleChangeState(clock, 'b') : sql`'absent'`;
  const stateAfter = articleChangeState(clock, 'a');
  const previousSlug = change.previousSlug ?? null;
  // An upsert's type: a move into or out of public view first, then a rename, else an update. An
  // embargo that lifted without its event yet counts as still embargoed, so the publish is not lost.
  const lastLogged = sql`(select c.state_after from article_changes c where c.article_id = a.id order by c.position desc limit 1)`;
  const type =
    change.type !== 'derive'
      ? sql`${change.type}::text`
      : sql`case
          when ${stateAfter} = 'published' and (${stateBefore} <> 'published' or ${lastLogged} = 'embargoed') then 'published'
          when ${stateBefore} = 'published' and ${stateAfter} <> 'published' then 'unpublished'
          when ${previousSlug}::text is not null then 'slug_changed'
          else 'updated' end`;
  const inserted = await sql`
    insert into article_changes (position, type, occurred_at, article_id, slug, previous_slug, revision,
      section_ids, tag_ids, published_at, state_before, state_after)
    select ${position}::bigint, ${type}, ${clock}, a.id, a.slug, ${previousSlug}::text, a.revision,
      ${union(sql`array[a.section_id]`, before?.section_ids)}, ${union(tagIdsOf(sql`a.id`), before?.tag_ids)},
      a.published_at, ${stateBefore}, ${stateAfter}
    from articles a, ${beforeRow(before)} b
    where a.id = ${change.articleId}`.execute(db);
  if (Number(inserted.numAffectedRows ?? 0) !== 1) {
    throw new Error(
      `no article with id ${change.articleId} to record a change of: expected the row the change wrote`,
    );
  }
  lock.last = position;
}

/**
 * Appends events for changes this transaction wrote, in the given order. Call it last in the
 * transaction, just before it commits: it takes the log's lock, which the next writer waits for.
 * Returns the position of the last event appended.
 */
export async function appendChanges(
  db: Transaction<Database>,
  changes: readonly ChangeToAppend[],
): Promise<number> {
  const lock = await lockLog(
    db,
    changes.map((change) => change.articleId),
  );
  for (const change of changes) await appendOne(db, lock, change);
  await finishLog(db, lock);
  return lock.last;
}

/**
 * Appends a `created` event for each of these articles, just written by a bulk load, in one
 * statement (in id order). Call it last in the batch's transaction, as `appendChanges`.
 */
export async function appendCreatedInBulk(
  db: Transaction<Database>,
  articleIds: readonly number[],
): Promise<number> {
  const lock = await lockLog(db, articleIds);
  if (articleIds.length > 0) {
    const clock = sql`${lock.clock}::timestamptz`;
    const inserted = await sql`
      insert into article_changes (position, type, occurred_at, article_id, slug, previous_slug, revision,
        section_ids, tag_ids, published_at, state_before, state_after)
      select ${lock.last}::bigint + row_number() over (order by a.id), 'created', ${clock}, a.id, a.slug, null,
        a.revision, array[a.section_id], ${tagIdsOf(sql`a.id`)}, a.published_at, 'absent', ${articleChangeState(clock, 'a')}
      from articles a where a.id = any(${[...articleIds]}::int[])`.execute(db);
    lock.last += Number(inserted.numAffectedRows ?? 0);
  }
  await finishLog(db, lock);
  return lock.last;
}

/**
 * Appends the `published` event of every embargo that has lifted and has none yet, in its own short
 * transaction; returns how many. A cheap check first: nothing is locked when no embargo is due. Each
 * serving instance runs it when an embargo lifts, and before answering `changes` (so the answer's
 * snapshot holds every lift due by then); two instances never append one twice (the log's lock).
 */
export async function appendDueEmbargoLifts(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ due: boolean }>`
    select exists (select 1 from articles a, article_change_log m
      where a.listed_at > m.lifts_checked_until and a.listed_at <= clock_timestamp()
        and a.status = 'published' and a.taken_down_at is null
        and a.published_at > m.lifts_checked_until and a.published_at <= clock_timestamp()) as due`.execute(
    db,
  );
  if (!rows[0]?.due) return 0;
  return db.transaction().execute(async (trx) => {
    const before = await sql<{ last_position: number }>`select last_position from article_change_log`.execute(
      trx,
    );
    const lock = await lockLog(trx, []);
    await finishLog(trx, lock);
    return lock.last - before.rows[0]!.last_position;
  });
}

/**
 * Deletes events older than `retentionMs` (a prefix of the log: every position up to the newest old
 * one) and remembers the highest position deleted, so a cursor before it is known to have missed
 * events. Returns how many were deleted.
 */
export async function pruneChanges(db: Kysely<Database>, retentionMs: number): Promise<number> {
  const { rows } = await sql<{ deleted: number }>`
    with cutoff as (
      select max(position) as through from article_changes
      where occurred_at < now() - ${retentionMs} * interval '1 millisecond'
    ), deleted as (
      delete from article_changes where position <= (select through from cutoff) returning position
    ), marked as (
      update article_change_log set pruned_through = greatest(pruned_through, (select through from cutoff))
      where (select through from cutoff) is not null returning 1
    )
    select (select count(*) from deleted)::int as deleted, (select count(*) from marked) as marked`.execute(
    db,
  );
  return rows[0]?.deleted ?? 0;
}

/** Which events a follower wants: any of the types, any of the sections, any of the tags, any of the articles. */
export interface ChangeFilter {
  readonly types?: readonly ArticleChangeType[] | undefined;
  readonly sectionIds?: readonly number[] | undefined;
  readonly tagIds?: readonly number[] | undefined;
  readonly articleIds?: readonly number[] | undefined;
}

export interface ChangePage {
  /** Up to `first` events after `after`, in position order, that the viewer may see and the filter wants. */
  readonly events: readonly ChangeEventRow[];
  readonly hasNextPage: boolean;
  /**
   * Where a follower resumes: the last event's position when there is a next page, else the log's
   * last position in the same snapshot (everything up to it was read or is not for this caller).
   */
  readonly endPosition: number;
  /** The log's last position, in the answer's snapshot. */
  readonly head: number;
  /** The highest position deleted by retention: a cursor before it has missed events. */
  readonly prunedThrough: number;
}

/**
 * Events after `after` (0 or absent: from the oldest kept) for `viewer` (the visibility rule of
 * src/modules/articles/visibility.ts), read in one statement, so one snapshot. The caller checks
 * `after` against `prunedThrough` and `head` (a cursor too old or from elsewhere).
 */
export async function listChanges(
  db: Db,
  options: {
    readonly after?: bigint | number | null | undefined;
    readonly first: number;
    readonly filter?: ChangeFilter | undefined;
    readonly viewer: Viewer;
  },
): Promise<ChangePage> {
  const after = Number(options.after ?? 0);
  const filter = options.filter ?? {};
  const conditions = [sql`c.position > ${after}`, changeIsVisible(options.viewer, 'c')];
  if (filter.types) conditions.push(sql`c.type = any(${[...filter.types]}::text[])`);
  if (filter.sectionIds) conditions.push(sql`c.section_ids && ${[...filter.sectionIds]}::int[]`);
  if (filter.tagIds) conditions.push(sql`c.tag_ids && ${[...filter.tagIds]}::int[]`);
  if (filter.articleIds) conditions.push(sql`c.article_id = any(${[...filter.articleIds]}::int[])`);
  const { rows } = await sql<
    Omit<ChangeEventRow, 'position'> & { position: number | null; head: number; pruned_through: number }
  >`
    select m.last_position as head, m.pruned_through, c.*
    from article_change_log m
    left join lateral (
      select c.* from article_changes c where ${sql.join(conditions, sql` and `)}
      order by c.position limit ${options.first + 1}
    ) c on true
    order by c.position`.execute(db);
  const { head, pruned_through: prunedThrough } = rows[0] ?? { head: 0, pruned_through: 0 };
  const found = rows.filter((row): row is typeof row & { position: number } => row.position !== null);
  const events: ChangeEventRow[] = found.slice(0, options.first).map((row) => ({
    position: row.position,
    type: row.type,
    occurred_at: row.occurred_at,
    article_id: row.article_id,
    slug: row.slug,
    previous_slug: row.previous_slug,
    revision: row.revision,
    section_ids: row.section_ids,
    tag_ids: row.tag_ids,
    published_at: row.published_at,
    state_before: row.state_before,
    state_after: row.state_after,
  }));
  const hasNextPage = found.length > options.first;
  const endPosition = hasNextPage ? (events.at(-1)?.position ?? after) : Math.max(after, head);
  return { events, hasNextPage, endPosition, head, prunedThrough };
}

/** The log's last position now: where a consumer starting an initial sync begins following. */
export async function findChangesHead(db: Db): Promise<number> {
  const { rows } = await sql<{ last_position: number }>`select last_position from article_change_log`.execute(
    db,
  );
  return rows[0]?.last_position ?? 0;
}
