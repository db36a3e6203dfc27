import { randomBytes } from 'node:crypto';
import { type Queue, QueueEvents, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { BackfillJobData, BackfillJobProgress } from '../../src/queues/backfill/backfill-job.ts';
import { NIGHTLY_SCHEDULER_ID } from '../../src/queues/backfill/backfill-job.ts';
import { backfillQueue, enqueueBackfill, scheduleNightlyBackfill } from '../../src/queues/backfill/backfill-queue.ts';
import { startBackfillWorker } from '../../src/queues/backfill/backfill-worker.ts';
import type { BackfillResult } from '../../src/queues/backfill/backfill.ts';
import { redisConnection } from '../../src/runtime/redis-connection.ts';
import { logger } from '../../src/logger.ts';
import { scoreProfiles } from '../../src/pipeline/score.ts';
import { type Database, queryRows } from '../../src/store/db.ts';
import { storeReferenceDistribution } from '../../src/store/reference-distribution.ts';
import { registerModelVersion, storeScoredProfiles } from '../../src/store/write-results.ts';
import { datasetProfiles } from '../helpers/career-dataset.ts';
import { testDatabaseKinds } from '../helpers/databases.ts';
import { fixedClassifier } from '../helpers/fixed-classifier.ts';
import { missingServices } from '../helpers/required-services.ts';

logger.level = process.env.LOG_LEVEL ?? 'warn';
const skip = missingServices(['REDIS_URL', 'TEST_DATABASE_URL'], 'the backfill queue tests');

describe.skipIf(skip)('backfill through BullMQ (Redis, Postgres server)', () => {
  const queueName = `backfill-test-${randomBytes(4).toString('hex')}`;
  let database: Database;
  let dispose: () => Promise<void>;
  let queueRedis: Redis;
  let workerRedis: Redis;
  let queue: Queue<BackfillJobData>;
  let events: QueueEvents;
  let worker: Worker<BackfillJobData, BackfillResult>;

  beforeAll(async () => {
    ({ database, dispose } = await testDatabaseKinds.find((k) => k.name === 'postgres')!.open());
    await registerModelVersion(database.db, { version: 'old-q', kind: 'test', manifest: {} });
    await storeScoredProfiles(database.db, await scoreProfiles(datasetProfiles, fixedClassifier('old-q', {}), '2024-06'), 'test');
    queueRedis = redisConnection(process.env.REDIS_URL!, 'queue');
    workerRedis = redisConnection(process.env.REDIS_URL!, 'worker');
    queue = backfillQueue(queueRedis, queueName);
    events = new QueueEvents(queueName, { connection: redisConnection(process.env.REDIS_URL!, 'worker') });
    await events.waitUntilReady();
  });
  afterAll(async () => {
    await worker?.close();
    await events?.close();
    await queue?.obliterate({ force: true }).catch(() => {});
    await queue?.close();
    await queueRedis?.quit();
    await workerRedis?.quit();
    await dispose?.();
  });

  it('keeps exactly one nightly scheduler at 02:00 and replaces its pattern when upserted again', async () => {
    await scheduleNightlyBackfill(queue, { pattern: '0 2 * * *', tz: 'UTC' });
    await scheduleNightlyBackfill(queue, { pattern: '0 2 * * *', tz: 'UTC' });
    let schedulers = await queue.getJobSchedulers();
    expect(schedulers.map((s) => [s.key, s.pattern, s.tz])).toEqual([[NIGHTLY_SCHEDULER_ID, '0 2 * * *', 'UTC']]);
    const next = new Date(schedulers[0]!.next!);
    expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([2, 0]);
    await scheduleNightlyBackfill(queue, { pattern: '30 3 * * *', tz: 'Europe/Berlin' });
    schedulers = await queue.getJobSchedulers();
    expect(schedulers.map((s) => [s.key, s.pattern, s.tz])).toEqual([[NIGHTLY_SCHEDULER_ID, '30 3 * * *', 'Europe/Berlin']]);
    await queue.removeJobScheduler(NIGHTLY_SCHEDULER_ID);
  });

  it('runs an on-demand job, reporting progress that Bull Board shows', async () => {
    worker = await startBackfillWorker({
      connection: workerRedis,
      queueName,
      db: database.db,
      classifier: fixedClassifier('new-q', {}),
      batchSize: 1,
    });
    const progress: BackfillJobProgress[] = [];
    events.on('progress', ({ data }) => progress.push(data as BackfillJobProgress));
    const id = await enqueueBackfill(queue, { sourceModelVersion: 'old-q' });
    const job = (await queue.getJob(id))!;
    const result = (await job.waitUntilFinished(events, 30_000)) as BackfillResult;
    expect(result).toMatchObject({ status: 'done', rowsTotal: 9, rowsScored: 9, profilesScored: 4, targetModelVersion: 'new-q' });
    const finished = (await queue.getJob(id))!;
    expect(finished.progress).toMatchObject({ percent: 100, rowsScored: 9, rowsTotal: 9 });
    // One report at the start and one per committed batch of one profile (3, 3, 1, 2 positions).
    expect(progress.map((p) => p.rowsScored)).toEqual([0, 3, 6, 7, 9]);
  });

  it('runs the scheduled job when the pattern fires, and refreshes every version', async () => {
    // Every other statistic is kept by the writes themselves; what the nightly run refreshes is drift.
    for (const version of ['new-q', 'old-q']) {
      await storeReferenceDistribution(database.db, version, { seniority: { Junior: 0.5, Senior: 0.5 } }, 'test');
    }
    await database.db.execute(sql`delete from drift_stats`);
    const completed = new Promise<string>((resolve) => events.on('completed', ({ jobId }) => resolve(jobId)));
    // Every second (BullMQ cron patterns may carry seconds): the nightly job without waiting a night.
    await scheduleNightlyBackfill(queue, { pattern: '* * * * * *', tz: 'UTC' });
    const jobId = await completed;
    await queue.removeJobScheduler(NIGHTLY_SCHEDULER_ID);
    const job = (await queue.getJob(jobId))!;
    expect(job.data.trigger).toBe('schedule');
    expect(job.returnvalue).toMatchObject({ status: 'done', rowsTotal: 0 });
    const refreshed = await queryRows<{ model_version: string }>(database.db, sql`select distinct model_version from drift_stats order by 1`);
    expect(refreshed.map((r) => r.model_version)).toEqual(['new-q', 'old-q']);
  });
});
