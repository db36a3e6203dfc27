/**
 * The consumer side of the scoring queue: a BullMQ worker that runs `storeScoreJob` for each job.
 *
 * Reliability comes from BullMQ, configured here in one place: a failed job is retried with the
 * exponential backoff it was enqueued with (score-job.ts); a job whose worker died (SIGKILL, lost
 * machine) stops renewing its lock, is found stalled within `lockMs` + 10 s by any live worker and
 * runs again. Running twice is harmless: the writes are idempotent upserts in one transaction.
 */
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { correctionSource } from '../../store/corrections.ts';
import type { Redis } from 'ioredis';
import type { TitleClassifier } from '../../domain/prediction.ts';
import { logger } from '../../logger.ts';
import { currentMonth } from '../../pipeline/score.ts';
import type { Db } from '../../store/db.ts';
import { registerClassifier } from '../../store/model-registration.ts';
import { type ScoreJobData, checkScoreJobData } from '../../domain/score-job.ts';
import { ThrottledStatsRefresher, refreshStatsSerialized } from '../../store/stats-refresher.ts';
import { type StoredJob, storeScoreJob } from './store-score-job.ts';
import type { DriftSettings } from '../../store/distribution-stats.ts';

export interface ScoreWorkerOptions {
  /** Must be created with `maxRetriesPerRequest: null` (redisConnection(url, 'worker')). */
  connection: Redis;
  queueName: string;
  concurrency: number;
  /** Job lock lifetime: a dead worker's jobs run again within this + 10 s. */
  lockMs: number;
  db: Db;
  classifier: TitleClassifier;
  statsRefreshIntervalMs: number;
  /** How the refreshed statistics flag drift (default DEFAULT_DRIFT). */
  drift?: DriftSettings;
  /** The month treated as "now" (default: the current month when the job runs). */
  asOf?: () => string;
}

export interface RunningWorker {
  worker: Worker<ScoreJobData, StoredJob>;
  /** Lets the jobs in progress finish, takes no new ones, then refreshes statistics once if stale. */
  close(): Promise<void>;
}

/**
 * A job that stalls this often is failed rather than retried forever; a stall is not an attempt,
 * so this bounds jobs that crash their worker (a poison job that exhausts memory, say).
 */
const MAX_STALLED_COUNT = 3;
const STALLED_CHECK_MS = 5_000;

export async function startScoreWorker(options: ScoreWorkerOptions): Promise<RunningWorker> {
  const { db, classifier } = options;
  // Predictions reference their model version: register it before the first job can store one.
  await registerClassifier(db, classifier);
  const stats = new ThrottledStatsRefresher((version) => refreshStatsSerialized(db, version, options.drift), options.statsRefreshIntervalMs);
  const asOf = options.asOf ?? (() => currentMonth());
  const log = logger.child({ component: 'worker', queue: options.queueName });
  const corrections = correctionSource(db);

  const worker = new Worker<ScoreJobData, StoredJob>(
    options.queueName,
    async (job: Job<ScoreJobData, StoredJob>) => {
      // Bad data fails the same way on every attempt: fail it for good at once, with the reason,
      // rather than retrying it with backoff (BullMQ keeps failed jobs for inspection).
      const checked = checkScoreJobData(job.data);
      if (!checked.ok) throw new UnrecoverableError(checked.reason);
      const stored = await storeScoreJob(db, classifier, checked.data, asOf(), await corrections.current());
      stats.markStale(classifier.modelVersion);
      log.debug({ jobId: job.id, attempt: job.attemptsMade + 1, ...stored }, 'job stored');
      return stored;
    },
    {
      connection: options.connection,
      concurrency: options.concurrency,
      lockDuration: options.lockMs,
      // A job is moved back to wait on the second check that finds its lock gone, so a dead
      // worker's jobs run again within lockMs + 2 × this (with the default 30 s: under 40 s; checking
      // every lockMs, as BullMQ does by default, took 70-74 s). The check is one small Lua script.
      stalledInterval: STALLED_CHECK_MS,
      maxStalledCount: MAX_STALLED_COUNT,
    },
  );
  worker.on('failed', (job, err) => {
    const attempts = job?.opts.attempts ?? 1;
    const final = job ? job.attemptsMade >= attempts : true;
    log.warn({ jobId: job?.id, attempt: job?.attemptsMade, attempts, err: err.message }, final ? 'job failed for good' : 'job failed; will retry');
  });
  worker.on('stalled', (jobId) => log.warn({ jobId }, 'job stalled (its worker stopped renewing the lock); it runs again'));
  // An 'error' without a listener would throw; these are connection troubles BullMQ recovers from.
  worker.on('error', (err) => log.error({ err: err.message }, 'worker error'));
  await worker.waitUntilReady();

  return {
    worker,
    async close() {
      await worker.close();
      await stats.flush();
    },
  };
}
