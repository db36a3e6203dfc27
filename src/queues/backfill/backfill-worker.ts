/**
 * The consumer side of the backfill queue: runs `runBackfill` for each job, reporting progress to
 * BullMQ (shown by Bull Board). Concurrency 1: two backfills of the same model would only compete
 * for the same run (the second one fails on the cursor check).
 *
 * A worker killed mid-job: BullMQ notices the stalled job and runs it again, and runBackfill
 * resumes the unfinished run from its cursor.
 */
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TitleClassifier } from '../../domain/prediction.ts';
import { describeIssues } from '../../domain/profile.ts';
import { logger } from '../../logger.ts';
import { currentMonth } from '../../pipeline/score.ts';
import type { Db } from '../../store/db.ts';
import { type BackfillResult, type BatchScorer, runBackfill } from './backfill.ts';
import { type BackfillJobData, BackfillJobDataSchema, type BackfillJobProgress } from './backfill-job.ts';
import type { DriftSettings } from '../../store/distribution-stats.ts';

export interface BackfillWorkerOptions {
  /** Must be created with `maxRetriesPerRequest: null` (redisConnection(url, 'worker')). */
  connection: Redis;
  queueName: string;
  db: Db;
  classifier: TitleClassifier;
  batchSize: number;
  /** Job lock lifetime; BullMQ renews it while the job runs. */
  lockMs?: number;
  /** Scoring threads (null: score on the worker's own thread). */
  scorer?: BatchScorer | null;
  drift?: DriftSettings;
}

export async function startBackfillWorker(options: BackfillWorkerOptions): Promise<Worker<BackfillJobData, BackfillResult>> {
  const log = logger.child({ component: 'backfill-worker', queue: options.queueName });
  const worker = new Worker<BackfillJobData, BackfillResult>(
    options.queueName,
    async (job: Job<BackfillJobData, BackfillResult>) => {
      const parsed = BackfillJobDataSchema.safeParse(job.data);
      // Bad data fails the same way on every attempt: failed for good at once, not retried.
      if (!parsed.success) throw new UnrecoverableError(`job ${job.id}: invalid data: ${describeIssues(parsed.error)}`);
      const data = parsed.data;
      return runBackfill(options.db, options.classifier, {
        sourceModelVersion: data.sourceModelVersion ?? null,
        since: data.since ? new Date(data.since) : null,
        batchSize: options.batchSize,
        trigger: data.trigger,
        asOf: currentMonth(),
        // The nightly run also refreshes every other version: "refreshed nightly" covers them all.
        refreshAllVersions: data.trigger === 'schedule',
        scorer: options.scorer ?? null,
        drift: options.drift,
        onProgress: async (p) => {
          const progress: BackfillJobProgress = {
            percent: p.rowsTotal === 0 ? 100 : Math.round((1000 * p.rowsScored) / p.rowsTotal) / 10,
            runId: p.runId,
            rowsScored: p.rowsScored,
            rowsTotal: p.rowsTotal,
          };
          await job.updateProgress(progress);
        },
      });
    },
    { connection: options.connection, concurrency: 1, lockDuration: options.lockMs ?? 60_000 },
  );
  worker.on('failed', (job, err) => log.warn({ jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, 'backfill job failed'));
  worker.on('completed', (job, result) => log.info({ jobId: job.id, ...result }, 'backfill job done'));
  worker.on('error', (err) => log.error({ err: err.message }, 'backfill worker error'));
  await worker.waitUntilReady();
  return worker;
}
