/**
 * The consumer side of the backfill queue. A backfill job is the parent of a BullMQ flow:
 * 1. it starts (or resumes) the run, splits it into profile-id ranges and adds one child job per
 *    pending range, then waits for its children;
 * 2. every `backfill-worker` process, on any machine, takes range jobs one at a time (concurrency
 *    1 per process: scale out with processes), re-scoring a range from its cursor;
 * 3. when the last range is done the parent runs again, refreshes drift and marks the run done.
 * Progress (the run's rows scored) is reported on the range job and on its parent, which Bull Board
 * shows. A worker killed mid-range: BullMQ notices the stalled job and runs it again, and the range
 * resumes from its cursor; a range failing for good fails the parent, and the run stays
 * resumable by the next backfill with the same filters.
 */
import { Job, Queue, UnrecoverableError, WaitingChildrenError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import type { TitleClassifier } from '../../domain/prediction.ts';
import { describeIssues } from '../../domain/profile.ts';
import { logger } from '../../logger.ts';
import { currentMonth } from '../../pipeline/score.ts';
import { markRun, readRanges, readRun } from '../../store/backfill-store.ts';
import type { Db } from '../../store/db.ts';
import type { DriftSettings } from '../../store/distribution-stats.ts';
import { type BackfillProgress, type BackfillResult, type BatchScorer, finishRun, scoreRange, startRun } from './backfill.ts';
import {
  BACKFILL_JOB_NAME,
  BACKFILL_RANGE_JOB_NAME,
  BACKFILL_RANGE_JOB_OPTIONS,
  type BackfillJobData,
  BackfillJobDataSchema,
  type BackfillJobProgress,
  type BackfillRangeJobData,
  BackfillRangeJobDataSchema,
} from './backfill-job.ts';

export interface BackfillWorkerOptions {
  /** Must be created with `maxRetriesPerRequest: null` (redisConnection(url, 'worker')). */
  connection: Redis;
  queueName: string;
  db: Db;
  classifier: TitleClassifier;
  batchSize: number;
  /** Profiles per range job (default PROFILES_PER_RANGE). */
  profilesPerRange?: number;
  /** Job lock lifetime; BullMQ renews it while the job runs. */
  lockMs?: number;
  /** Scoring threads (null: score on the worker's own thread). */
  scorer?: BatchScorer | null;
  drift?: DriftSettings;
}

type AnyJob = Job<BackfillJobData | BackfillRangeJobData, BackfillResult | number>;

/** Bad data fails the same way on every attempt: failed for good at once, not retried. */
function parseData<T extends z.ZodType>(schema: T, job: AnyJob): z.infer<T> {
  const parsed = schema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`job ${job.id}: invalid data: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

function jobProgress(p: BackfillProgress): BackfillJobProgress {
  return {
    percent: p.rowsTotal === 0 ? 100 : Math.round((1000 * p.rowsScored) / p.rowsTotal) / 10,
    runId: p.runId,
    rowsScored: p.rowsScored,
    rowsTotal: p.rowsTotal,
  };
}

export async function startBackfillWorker(options: BackfillWorkerOptions): Promise<Worker<BackfillJobData | BackfillRangeJobData, BackfillResult | number>> {
  const log = logger.child({ component: 'backfill-worker', queue: options.queueName });
  const { db, classifier } = options;
  // Adds the range children and reports on parents (commands only: the worker's blocking reads use their own connection).
  const queue = new Queue(options.queueName, { connection: options.connection });

  /** The parent: plan and add the ranges, wait for them, finish the run. */
  async function backfill(job: AnyJob, token: string | undefined): Promise<BackfillResult> {
    const data = parseData(BackfillJobDataSchema, job);
    const { runId, ...start } = data.start ?? (await queueRanges(job, data));
    if (await job.moveToWaitingChildren(token!)) throw new WaitingChildrenError();
    const result = await finishRun(
      db,
      runId,
      // The nightly run also refreshes every other version: "refreshed nightly" covers them all.
      { refreshAllVersions: data.trigger === 'schedule', drift: options.drift },
      { ...start, startedAt: job.timestamp },
    );
    await job.updateProgress(jobProgress(result));
    return result;
  }

  /** The parent's first step: start or resume the run and add one child per pending range; recorded on the job. */
  async function queueRanges(job: AnyJob, data: BackfillJobData): Promise<NonNullable<BackfillJobData['start']>> {
    const started = await startRun(db, classifier, {
      sourceModelVersion: data.sourceModelVersion ?? null,
      since: data.since ? new Date(data.since) : null,
      trigger: data.trigger,
      scorer: options.scorer ?? null,
      profilesPerRange: options.profilesPerRange,
    });
    await job.updateProgress(jobProgress(started.progress));
    // Nothing pending: no ranges to score (the run still finishes, refreshing drift).
    const pending = started.run.rowsTotal === 0 ? [] : started.ranges.filter((r) => r.status === 'pending');
    const asOf = currentMonth();
    // Ids from the parent's: a parent retried after adding them adds none twice.
    await queue.addBulk(
      pending.map((range) => ({
        name: BACKFILL_RANGE_JOB_NAME,
        data: { runId: started.run.id, rangeIndex: range.index, asOf } satisfies BackfillRangeJobData,
        opts: { ...BACKFILL_RANGE_JOB_OPTIONS, jobId: `${job.id}-range-${range.index}`, parent: { id: job.id!, queue: job.queueQualifiedName } },
      })),
    );
    const start = { runId: started.run.id, resumed: started.resumed, rowsAtStart: started.run.rowsScored };
    await job.updateData({ ...data, start });
    log.info({ jobId: job.id, runId: started.run.id, ranges: pending.length }, 'backfill ranges queued');
    return start;
  }

  /** A child: re-score one range of the run from its cursor. Returns the rows it wrote. */
  async function backfillRange(job: AnyJob): Promise<number> {
    const data = parseData(BackfillRangeJobDataSchema, job);
    const run = await readRun(db, data.runId);
    const range = (await readRanges(db, data.runId)).find((r) => r.index === data.rangeIndex);
    if (!run || !range) throw new UnrecoverableError(`job ${job.id}: backfill run ${data.runId} has no range ${data.rangeIndex}`);
    if (run.filter.targetModelVersion !== classifier.modelVersion) {
      throw new UnrecoverableError(`job ${job.id}: run ${run.id} re-scores with ${run.filter.targetModelVersion}, this worker serves ${classifier.modelVersion}`);
    }
    if (range.status === 'done') return 0;
    const parent = job.parent?.id ? await Job.fromId(queue, job.parent.id) : undefined;
    try {
      return await scoreRange(db, classifier, run, range, { batchSize: options.batchSize, asOf: data.asOf, scorer: options.scorer ?? null,
        // The run's figures (every range's commits), read after each of this range's.
        onProgress: async () => {
          const now = (await readRun(db, run.id))!;
          const progress = jobProgress({ runId: now.id, rowsScored: now.rowsScored, rowsTotal: now.rowsTotal, profilesScored: now.profilesScored });
          await job.updateProgress(progress);
          await parent?.updateProgress(progress);
        },
      }, { runId: run.id, rowsScored: 0, rowsTotal: run.rowsTotal, profilesScored: 0 });
    } catch (err) {
      // The run is resumable (failed or running): a retry of this range, or a new start, continues it.
      await markRun(db, run.id, 'failed', (err as Error).message).catch(() => {});
      throw err;
    }
  }

  const worker = new Worker<BackfillJobData | BackfillRangeJobData, BackfillResult | number>(
    options.queueName,
    async (job, token) => {
      if (job.name === BACKFILL_RANGE_JOB_NAME) return backfillRange(job);
      if (job.name === BACKFILL_JOB_NAME) return backfill(job, token);
      throw new UnrecoverableError(`job ${job.id}: unknown job name ${job.name}`);
    },
    { connection: options.connection, concurrency: 1, lockDuration: options.lockMs ?? 60_000 },
  );
  worker.on('failed', (job, err) => log.warn({ jobId: job?.id, name: job?.name, attempt: job?.attemptsMade, err: err.message }, 'backfill job failed'));
  worker.on('completed', (job, result) => log.info({ jobId: job.id, name: job.name, result }, 'backfill job done'));
  worker.on('error', (err) => log.error({ err: err.message }, 'backfill worker error'));
  worker.on('closed', () => void queue.close());
  await worker.waitUntilReady();
  return worker;
}
