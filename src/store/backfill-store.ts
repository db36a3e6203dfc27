/**
 * What a backfill reads and writes: its run record (filters, counts), the run's profile-id ranges
 * (each with its own cursor), the next batch of profiles an older model scored in a range, and the
 * new model's predictions and career features.
 *
 * A batch's predictions, career features, its range's cursor and counts and the run's counts are
 * written in ONE transaction, so a range killed at any moment resumes exactly after its last
 * committed batch: no profile is counted twice and none is skipped. Writes are upserts on the
 * natural keys, so even a batch that is scored twice stores every row once.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Position } from '../domain/profile.ts';
import type { ProfileMessage } from '../domain/profile.ts';
import type { ScoredProfile } from '../domain/prediction.ts';
import { type Db, queryRows } from './db.ts';
import { reconcileCorrections } from './corrections.ts';
import { withStatistics } from './statistics.ts';
import { inTransaction } from './transaction.ts';
import { upsertPredictions } from './write-results.ts';
import { upsertCareer } from './career-store.ts';

export interface BackfillFilter {
  /** The model whose predictions are being added. */
  targetModelVersion: string;
  /** Only profiles scored by this (older) version; null: any version other than the target. */
  sourceModelVersion: string | null;
  /** Only profiles stored or updated at or after this instant; null: all. */
  since: Date | null;
}

export interface BackfillRun {
  id: number;
  status: 'running' | 'failed' | 'done';
  filter: BackfillFilter;
  trigger: string;
  rowsTotal: number;
  rowsScored: number;
  profilesScored: number;
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
}

/**
 * A run's share of profile ids, (afterId, untilId], re-scored by one job; `cursor` is the last
 * profile committed ('' = afterId before the first batch).
 */
export interface BackfillRange {
  runId: number;
  index: number;
  afterId: string;
  untilId: string | null;
  cursor: string;
  rowsScored: number;
  profilesScored: number;
  status: 'pending' | 'done';
}

interface RunRow {
  id: number | string;
  status: BackfillRun['status'];
  target_model_version: string;
  source_model_version: string | null;
  since: Date | string | null;
  trigger: string;
  rows_total: number;
  rows_scored: number;
  profiles_scored: number;
  started_at: Date | string;
  finished_at: Date | string | null;
  error: string | null;
}

const RUN_COLUMNS = sql.raw(
  'id, status, target_model_version, source_model_version, since, trigger, rows_total, rows_scored, profiles_scored, started_at, finished_at, error',
);

function toRun(row: RunRow): BackfillRun {
  const date = (v: Date | string | null) => (v === null ? null : new Date(v));
  return {
    id: Number(row.id),
    status: row.status,
    filter: { targetModelVersion: row.target_model_version, sourceModelVersion: row.source_model_version, since: date(row.since) },
    trigger: row.trigger,
    rowsTotal: row.rows_total,
    rowsScored: row.rows_scored,
    profilesScored: row.profiles_scored,
    startedAt: date(row.started_at)!,
    finishedAt: date(row.finished_at),
    error: row.error,
  };
}

/** `since` as a bound parameter (timestamptz), null-safe. */
const sinceParam = (since: Date | null) => sql`${since === null ? null : since.toISOString()}::timestamptz`;

/** True for a profile an older model scored, some of whose positions the target has not scored yet. */
function isPending(filter: BackfillFilter, profileId: SQL) {
  return sql`exists (
    select 1 from positions po
    join predictions old on old.profile_id = po.profile_id and old.position_index = po.position_index
    where po.profile_id = ${profileId}
      and old.model_version <> ${filter.targetModelVersion}
      and (${filter.sourceModelVersion}::text is null or old.model_version = ${filter.sourceModelVersion}::text)
      and not exists (
        select 1 from predictions t
        where t.profile_id = po.profile_id and t.position_index = po.position_index
          and t.model_version = ${filter.targetModelVersion}))`;
}

const sinceMatches = (filter: BackfillFilter) => sql`(${sinceParam(filter.since)} is null or updated_at >= ${sinceParam(filter.since)})`;

/** An unfinished run (running or failed) with exactly these filters: the one a new start resumes. */
export async function findResumableRun(db: Db, filter: BackfillFilter): Promise<BackfillRun | null> {
  const [row] = await queryRows<RunRow>(db, sql`
    select ${RUN_COLUMNS} from backfill_runs
    where status in ('running', 'failed')
      and target_model_version = ${filter.targetModelVersion}
      and source_model_version is not distinct from ${filter.sourceModelVersion}::text
      and since is not distinct from ${sinceParam(filter.since)}
    order by id desc limit 1`);
  return row ? toRun(row) : null;
}

/** Creates a run, counting the positions it will re-score. */
export async function createRun(db: Db, filter: BackfillFilter, trigger: string): Promise<BackfillRun> {
  const [row] = await queryRows<RunRow>(db, sql`
    insert into backfill_runs (target_model_version, source_model_version, since, trigger, rows_total)
    select ${filter.targetModelVersion}, ${filter.sourceModelVersion}::text, ${sinceParam(filter.since)}, ${trigger},
           (select count(*)::int from positions where profile_id in (
              select pf.profile_id from profiles pf where ${sinceMatches(filter)} and ${isPending(filter, sql`pf.profile_id`)}))
    returning ${RUN_COLUMNS}`);
  return toRun(row!);
}

export async function markRun(db: Db, id: number, status: 'running' | 'failed' | 'done', error: string | null = null): Promise<void> {
  await db.execute(sql`
    update backfill_runs
    set status = ${status}, error = ${error}, updated_at = now(),
        finished_at = case when ${status} = 'done' then now() else null end
    where id = ${id}`);
}

export async function readRun(db: Db, id: number): Promise<BackfillRun | null> {
  const [row] = await queryRows<RunRow>(db, sql`select ${RUN_COLUMNS} from backfill_runs where id = ${id}`);
  return row ? toRun(row) : null;
}

export async function listRuns(db: Db, limit = 20): Promise<BackfillRun[]> {
  const rows = await queryRows<RunRow>(db, sql`select ${RUN_COLUMNS} from backfill_runs order by id desc limit ${limit}`);
  return rows.map(toRun);
}

/**
 * The model versions that scored something. Asked per registered version, so each test is one
 * index probe instead of a scan of every prediction.
 */
export async function scoredModelVersions(db: Db): Promise<string[]> {
  const rows = await queryRows<{ v: string }>(db, sql`
    select version as v from model_versions mv
    where exists (select 1 from predictions pr where pr.model_version = mv.version)
    order by 1`);
  return rows.map((r) => r.v);
}

interface PositionRow {
  profile_id: string;
  position_index: number;
  title: string;
  organization: string | null;
  linkedin: string | null;
  start_date: string | null;
  end_date: string | null;
  status: Position['status'];
}

/**
 * The next `limit` pending profiles after the id `after` and up to `until` (in profile id order, so
 * a cursor is a plain keyset position), rebuilt as messages for the scoring core from their stored positions.
 *
 * In steps on purpose: the next ids by the primary key alone, their predictions' keys by the
 * primary key again, and the pending test here. Asked as one query, Postgres plans the pending test
 * as hash joins over every remaining profile (the LIMIT does not reach into them), so each batch
 * would cost O(table) and a whole backfill O(n²); this way a batch costs O(batch) whatever the
 * table size or the planner statistics.
 */
export async function readPendingBatch(
  db: Db,
  filter: BackfillFilter,
  after: string,
  limit: number,
  until: string | null = null,
): Promise<ProfileMessage[]> {
  const chosen: string[] = [];
  let scanFrom = after;
  while (chosen.length < limit) {
    const ids = await queryRows<{ id: string }>(db, sql`
      select profile_id as id from profiles
      where profile_id > ${scanFrom} and (${until}::text is null or profile_id <= ${until}::text) and ${sinceMatches(filter)}
      order by profile_id limit ${limit}`);
    if (ids.length === 0) break;
    const pending = pendingAmong(filter, ids.map((r) => r.id), await predictionKeys(db, ids.map((r) => r.id)));
    chosen.push(...pending.slice(0, limit - chosen.length));
    scanFrom = ids[ids.length - 1]!.id;
  }
  if (chosen.length === 0) return [];
  const rows = await queryRows<PositionRow>(db, sql`
    select profile_id, position_index, title, organization, linkedin, start_date, end_date, status
    from positions where profile_id = any(${sql.param(chosen)}::text[])
    order by profile_id, position_index`);
  const profiles: ProfileMessage[] = [];
  for (const row of rows) {
    let current = profiles[profiles.length - 1];
    if (current?.profileId !== row.profile_id) {
      current = { profileId: row.profile_id, positions: [] };
      profiles.push(current);
    }
    current.positions.push({
      position: row.title,
      organization: row.organization,
      linkedin: row.linkedin,
      startDate: row.start_date,
      endDate: row.end_date,
      status: row.status,
    });
  }
  // Positions are stored with contiguous indexes from 0, which is what scoring re-derives.
  return profiles;
}

interface PredictionKey {
  id: string;
  idx: number;
  version: string;
}

async function predictionKeys(db: Db, ids: readonly string[]): Promise<PredictionKey[]> {
  return queryRows<PredictionKey>(db, sql`
    select profile_id as id, position_index as idx, model_version as version
    from predictions where profile_id = any(${sql.param(ids)}::text[])`);
}

/** The ids (in the given order) with a position an older model scored and the target has not: the same test as `isPending`. */
export function pendingAmong(filter: BackfillFilter, ids: readonly string[], keys: readonly PredictionKey[]): string[] {
  const old = new Set<string>();
  const done = new Set<string>();
  for (const k of keys) {
    // (profile ids never contain control characters: the input contract rejects them)
    const position = `${k.id}\u0000${k.idx}`;
    if (k.version === filter.targetModelVersion) done.add(position);
    else if (filter.sourceModelVersion === null || k.version === filter.sourceModelVersion) old.add(position);
  }
  const pending = new Set<string>();
  for (const position of old) if (!done.has(position)) pending.add(position.slice(0, position.indexOf('\u0000')));
  return ids.filter((id) => pending.has(id));
}

export class ConcurrentBackfillError extends Error {}

interface RangeRow {
  run_id: number | string;
  range_index: number;
  after_id: string;
  until_id: string | null;
  cursor: string;
  rows_scored: number;
  profiles_scored: number;
  status: BackfillRange['status'];
}

const RANGE_COLUMNS = sql.raw('run_id, range_index, after_id, until_id, cursor, rows_scored, profiles_scored, status');

function toRange(row: RangeRow): BackfillRange {
  return {
    runId: Number(row.run_id),
    index: row.range_index,
    afterId: row.after_id,
    untilId: row.until_id,
    cursor: row.cursor,
    rowsScored: row.rows_scored,
    profilesScored: row.profiles_scored,
    status: row.status,
  };
}

export async function readRanges(db: Db, runId: number): Promise<BackfillRange[]> {
  const rows = await queryRows<RangeRow>(db, sql`select ${RANGE_COLUMNS} from backfill_ranges where run_id = ${runId} order by range_index`);
  return rows.map(toRange);
}

/**
 * The run's ranges, splitting it on first call into ranges of about `profilesPerRange` profiles
 * (of those `since` selects; one index-only pass over the profile ids). The run row is locked
 * while splitting, so two planners of one run agree on one set of ranges.
 */
export async function planRanges(db: Db, run: BackfillRun, profilesPerRange: number): Promise<BackfillRange[]> {
  await inTransaction(db, async (tx) => {
    await tx.execute(sql`select 1 from backfill_runs where id = ${run.id} for update`);
    const [planned] = await queryRows<{ yes: boolean }>(tx, sql`select exists (select 1 from backfill_ranges where run_id = ${run.id}) as yes`);
    if (planned!.yes) return;
    // The last id of every full range; the range after the last boundary is open-ended.
    const bounds = await queryRows<{ id: string }>(tx, sql`
      select profile_id as id from (
        select profile_id, row_number() over (order by profile_id) as n from profiles where ${sinceMatches(run.filter)}
      ) numbered where n % ${profilesPerRange} = 0 order by profile_id`);
    const edges = ['', ...bounds.map((b) => b.id)];
    await tx.execute(sql`
      insert into backfill_ranges (run_id, range_index, after_id, until_id, cursor)
      select ${run.id}, i - 1, after_id, until_id, after_id
      from unnest(${sql.param(edges)}::text[], ${sql.param([...edges.slice(1), null])}::text[]) with ordinality as t(after_id, until_id, i)`);
  });
  return readRanges(db, run.id);
}

/**
 * Writes the target's predictions and career features of one scored batch of a range and advances
 * the range and the run's counts, in one transaction. The range row is locked and its cursor
 * checked first: if another process advanced the same range meanwhile, nothing is written and
 * ConcurrentBackfillError is thrown. Returns the range's new cursor.
 */
export async function commitRangeBatch(
  db: Db,
  range: Pick<BackfillRange, 'runId' | 'index'>,
  expected: string,
  batch: readonly ScoredProfile[],
  correctionsVersion: number,
): Promise<string> {
  const last = batch[batch.length - 1];
  if (!last) return expected;
  await inTransaction(db, async (tx) => {
    const [row] = await queryRows<{ cursor: string }>(
      tx,
      sql`select cursor from backfill_ranges where run_id = ${range.runId} and range_index = ${range.index} for update`,
    );
    if (row?.cursor !== expected) {
      throw new ConcurrentBackfillError(
        `backfill run ${range.runId} range ${range.index} was advanced by another process (cursor ${row ? row.cursor || 'start' : 'gone'}, expected ${expected || 'start'})`,
      );
    }
    const scored = await reconcileCorrections(tx, batch, correctionsVersion);
    let rows = 0;
    // Only the target version's rows change: positions and other versions' predictions stay.
    const target = new Set(scored.map((p) => p.modelVersion));
    if (target.size !== 1) throw new Error(`a backfill batch holds one model version's predictions, not ${[...target].join(', ')}`);
    const write = async () => {
      rows = await upsertPredictions(tx, scored);
      await upsertCareer(tx, scored);
    };
    await withStatistics(tx, scored.map((p) => p.profileId), write, last.modelVersion);
    await tx.execute(sql`
      update backfill_ranges
      set cursor = ${last.profileId}, rows_scored = rows_scored + ${rows}, profiles_scored = profiles_scored + ${scored.length}, updated_at = now()
      where run_id = ${range.runId} and range_index = ${range.index}`);
    // Last, so concurrent ranges hold the run row only from here to their commit.
    await tx.execute(sql`
      update backfill_runs
      set rows_scored = rows_scored + ${rows}, profiles_scored = profiles_scored + ${scored.length}, status = 'running', error = null, updated_at = now()
      where id = ${range.runId}`);
  });
  return last.profileId;
}

export async function markRangeDone(db: Db, range: Pick<BackfillRange, 'runId' | 'index'>): Promise<void> {
  await db.execute(sql`update backfill_ranges set status = 'done', updated_at = now() where run_id = ${range.runId} and range_index = ${range.index}`);
}
