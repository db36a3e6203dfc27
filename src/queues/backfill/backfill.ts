/**
 * The backfill: re-scores, with the shipped model, the profiles an older model scored, in batches,
 * then refreshes the statistics. A run is split into profile-id ranges: the CLI
 * (`cv-pipeline backfill`) scores them in turn in one process; the BullMQ backfill queue gives each
 * its own job, so any number of `backfill-worker` processes share a run (backfill-worker.ts). Both
 * run the same functions: startRun, scoreRange, finishRun.
 *
 * - Resumable: progress lives in `backfill_runs` (counts) and `backfill_ranges` (a cursor per
 *   range), committed with each batch, and a new start with the same filters resumes an unfinished
 *   run instead of starting over.
 * - Idempotent: every row is an upsert on its natural key; re-running a finished backfill finds
 *   nothing pending and writes nothing.
 * - Old predictions stay: the new model's rows are added beside them, for comparison
 *   (analytics_model_agreement).
 *
 * Throughput: the next batches are read and scored while the previous batch's transaction is being
 * written, so the CPU-bound scorer and the database work at the same time; with a BatchScorer
 * (ScoringPool) the scoring itself spreads over several threads.
 */
import { registerClassifier } from '../../store/model-registration.ts';
import type { CorrectionSet } from '../../domain/correction.ts';
import { correctionSource } from '../../store/corrections.ts';
import type { ScoredProfile, TitleClassifier } from '../../domain/prediction.ts';
import type { ProfileMessage } from '../../domain/profile.ts';
import { logger } from '../../logger.ts';
import { scoreProfiles } from '../../pipeline/score.ts';
import {
  type BackfillFilter,
  type BackfillRange,
  type BackfillRun,
  commitRangeBatch,
  createRun,
  findResumableRun,
  markRangeDone,
  markRun,
  planRanges,
  readPendingBatch,
  readRun,
  scoredModelVersions,
} from '../../store/backfill-store.ts';
import type { Db } from '../../store/db.ts';
import { refreshStatsSerialized } from '../../store/stats-refresher.ts';
import type { DriftSettings } from '../../store/distribution-stats.ts';

export interface BackfillOptions {
  /** Only positions scored by this older version (default: any version but the classifier's). */
  sourceModelVersion?: string | null;
  /** Only profiles stored or updated at or after this instant. */
  since?: Date | null;
  /** Profiles per batch (one transaction and one cursor step each). */
  batchSize: number;
  /** `cli` or `schedule`: recorded on the run. */
  trigger: string;
  /** The month treated as "now" for career features (YYYY-MM). */
  asOf: string;
  /** Refresh every scored model version afterwards (nightly), not only the target. */
  refreshAllVersions?: boolean;
  /** How the refreshed statistics flag drift (default DEFAULT_DRIFT). */
  drift?: DriftSettings;
  /** Called after each committed batch and once at the start (resumed runs start above zero). */
  onProgress?: (progress: BackfillProgress) => void | Promise<void>;
  /** Scores on worker threads instead of this one (it must serve the classifier's model version). */
  scorer?: BatchScorer | null;
  /** Profiles per range (default PROFILES_PER_RANGE): the unit of work a queue job takes. */
  profilesPerRange?: number;
}

export interface BackfillProgress {
  runId: number;
  rowsScored: number;
  rowsTotal: number;
  profilesScored: number;
}

export interface BackfillResult extends BackfillProgress {
  targetModelVersion: string;
  resumed: boolean;
  status: BackfillRun['status'];
  /** Rows written by this call (a resumed run's earlier rows are not included). */
  rowsThisCall: number;
  seconds: number;
  refreshSeconds: number;
}

/** Profiles per range job (about 17,000 positions: some seconds of scoring each). */
export const PROFILES_PER_RANGE = 5_000;

/** A run ready to score: its record, its ranges, and the progress so far. */
export interface StartedRun {
  run: BackfillRun;
  ranges: BackfillRange[];
  resumed: boolean;
  progress: BackfillProgress;
}

/**
 * Finds the unfinished run with these filters, or creates one, and splits it into ranges: what the
 * CLI does before scoring and the queue's parent job does before adding one child job per range.
 */
export async function startRun(
  db: Db,
  classifier: TitleClassifier,
  options: Pick<BackfillOptions, 'sourceModelVersion' | 'since' | 'trigger' | 'scorer' | 'profilesPerRange'>,
): Promise<StartedRun> {
  const log = logger.child({ component: 'backfill', targetModelVersion: classifier.modelVersion });
  await registerClassifier(db, classifier);
  const filter: BackfillFilter = {
    targetModelVersion: classifier.modelVersion,
    sourceModelVersion: options.sourceModelVersion ?? null,
    since: options.since ?? null,
  };
  if (options.scorer && options.scorer.modelVersion !== classifier.modelVersion) {
    throw new Error(`the scoring threads serve ${options.scorer.modelVersion}, not ${classifier.modelVersion}`);
  }
  if (filter.sourceModelVersion === filter.targetModelVersion) {
    throw new Error(`--model ${filter.sourceModelVersion} is the shipped model itself: name an older version to re-score from`);
  }
  const existing = await findResumableRun(db, filter);
  const run = existing ?? (await createRun(db, filter, options.trigger));
  if (existing) await markRun(db, run.id, 'running');
  const ranges = await planRanges(db, run, options.profilesPerRange ?? PROFILES_PER_RANGE);
  const pending = ranges.filter((r) => r.status === 'pending').length;
  log.info({ runId: run.id, rowsScored: run.rowsScored, rowsTotal: run.rowsTotal, ranges: ranges.length, pending }, existing ? 'resuming backfill run' : 'backfill run started');
  const progress: BackfillProgress = { runId: run.id, rowsScored: run.rowsScored, rowsTotal: run.rowsTotal, profilesScored: run.profilesScored };
  return { run, ranges, resumed: existing !== null, progress };
}

/** Where a caller took the run up: what `finishRun` reports this call's share against. */
export interface RunStart {
  resumed: boolean;
  /** The run's rows scored when this call took it up. */
  rowsAtStart: number;
  /** Epoch milliseconds. */
  startedAt: number;
}

/**
 * Refreshes what the writes do not keep (drift) and marks the run done: after its last range.
 * Rows written by this call come from the run's counts, so a range killed mid-way and run again
 * still counts what its first attempt committed.
 */
export async function finishRun(
  db: Db,
  runId: number,
  options: Pick<BackfillOptions, 'refreshAllVersions' | 'drift'>,
  start: RunStart,
): Promise<BackfillResult> {
  const { filter } = (await readRun(db, runId))!;
  const t0 = performance.now();
  const versions = options.refreshAllVersions ? await scoredModelVersions(db) : [filter.targetModelVersion];
  for (const version of versions) await refreshStatsSerialized(db, version, options.drift);
  const refreshSeconds = (performance.now() - t0) / 1000;
  await markRun(db, runId, 'done');
  const final = (await readRun(db, runId))!;
  logger.info({ component: 'backfill', runId, rowsScored: final.rowsScored, rowsTotal: final.rowsTotal, status: final.status }, 'backfill run ended');
  return {
    runId,
    rowsScored: final.rowsScored,
    rowsTotal: final.rowsTotal,
    profilesScored: final.profilesScored,
    targetModelVersion: filter.targetModelVersion,
    resumed: start.resumed,
    status: final.status,
    rowsThisCall: final.rowsScored - start.rowsAtStart,
    seconds: (Date.now() - start.startedAt) / 1000,
    refreshSeconds,
  };
}

/** A whole backfill in this process: start or resume the run, score its pending ranges in turn, finish it. */
export async function runBackfill(db: Db, classifier: TitleClassifier, options: BackfillOptions): Promise<BackfillResult> {
  const startedAt = Date.now();
  const { run, ranges, resumed, progress } = await startRun(db, classifier, options);
  await options.onProgress?.({ ...progress });
  try {
    for (const range of ranges) {
      if (range.status === 'pending') await scoreRange(db, classifier, run, range, options, progress);
    }
  } catch (err) {
    await markRun(db, run.id, 'failed', (err as Error).message).catch(() => {});
    throw err;
  }
  return finishRun(db, run.id, options, { resumed, rowsAtStart: run.rowsScored, startedAt });
}

/** Scores batches somewhere (worker threads); `size` batches may be in flight at once. */
export interface BatchScorer {
  readonly modelVersion: string;
  readonly size: number;
  score(profiles: ProfileMessage[], asOf: string, corrections?: CorrectionSet): Promise<ScoredProfile[]>;
}

/**
 * Re-scores one range, pipelined: reading and scoring run ahead of the commits (up to `depth`
 * batches scored or being scored), while commits stay strictly in order, each checking the cursor
 * the previous one left; then marks the range done. `progress` (the run's) advances with each
 * commit. Returns the rows written.
 */
export async function scoreRange(
  db: Db,
  classifier: TitleClassifier,
  run: BackfillRun,
  range: BackfillRange,
  options: Pick<BackfillOptions, 'batchSize' | 'asOf' | 'scorer' | 'onProgress'>,
  progress: BackfillProgress,
): Promise<number> {
  // The analysts' corrections as they stand at each batch (store/corrections.ts).
  const corrections = correctionSource(db);
  const score = async (profiles: ProfileMessage[]) => {
    const set = await corrections.current();
    const scored = options.scorer ? await options.scorer.score(profiles, options.asOf, set) : await scoreProfiles(profiles, classifier, options.asOf, set);
    return { scored, correctionsVersion: set.version };
  };
  const depth = options.scorer ? options.scorer.size + 1 : 1;
  let readCursor = range.cursor;
  let committedCursor = range.cursor;
  let exhausted = false;
  const ahead: Promise<{ scored: ScoredProfile[]; correctionsVersion: number }>[] = [];
  const readAhead = async () => {
    while (!exhausted && ahead.length < depth) {
      const profiles = await readPendingBatch(db, run.filter, readCursor, options.batchSize, range.untilId);
      if (profiles.length === 0) {
        exhausted = true;
        break;
      }
      readCursor = profiles[profiles.length - 1]!.profileId;
      const scored = score(profiles);
      // Awaited in order below; until then a failure must not count as an unhandled rejection.
      scored.catch(() => {});
      ahead.push(scored);
    }
  };

  let rows = 0;
  let committing: Promise<void> = Promise.resolve();
  await readAhead();
  while (ahead.length > 0) {
    const { scored, correctionsVersion } = await ahead.shift()!;
    await committing;
    const positions = scored.reduce((n, p) => n + p.positions.length, 0);
    committing = commitRangeBatch(db, range, committedCursor, scored, correctionsVersion).then(async (next) => {
      committedCursor = next;
      rows += positions;
      progress.rowsScored += positions;
      progress.profilesScored += scored.length;
      await options.onProgress?.({ ...progress });
    });
    committing.catch(() => {});
    await readAhead();
  }
  await committing;
  await markRangeDone(db, range);
  return rows;
}
