import { randomBytes } from 'node:crypto';
import { type Queue, QueueEvents } from 'bullmq';
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
import { readRanges } from '../../src/store/backfill-store.ts';
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
  let worker: Awaited<ReturnType<typeof startBackfillWorker>>;

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
    let id = '';
    events.on('progress', ({ jobId, data }) => jobId === id && progress.push(data as BackfillJobProgress));
    id = await enqueueBackfill(queue, { sourceModelVersion: 'old-q' });
    const job = (await queue.getJob(id))!;
    const result = (await job.waitUntilFinished(events, 30_000)) as BackfillResult;
    expect(result).toMatchObject({ status: 'done', rowsTotal: 9, rowsScored: 9, profilesScored: 4, targetModelVersion: 'new-q' });
    const finished = (await queue.getJob(id))!;
    expect(finished.progress).toMatchObject({ percent: 100, rowsScored: 9, rowsTotal: 9 });
    // On the parent (the run): one report at the start, one per committed batch of one profile
    // (3, 3, 1, 2 positions) from its range child, and the end.
    expect(progress.map((p) => p.rowsScored)).toEqual([0, 3, 6, 7, 9, 9]);
    const children = await finished.getDependencies();
    expect(Object.keys(children.processed ?? {})).toHaveLength(1);
  });

  it('runs the scheduled job when the pattern fires, and refreshes every version', async () => {
    // Every other statistic is kept by the writes themselves; what the nightly run refreshes is drift.
    for (const version of ['new-q', 'old-q']) {
      await storeReferenceDistribution(database.db, version, { seniority: { Junior: 0.5, Senior: 0.5 } }, 'test');
    }
    await database.db.execute(sql`delete from drift_stats`);
    // The parent completes last, after its range children (if any).
    const completed = new Promise<string>((resolve) =>
      events.on('completed', async ({ jobId }) => (await queue.getJob(jobId))?.name === 'backfill' && resolve(jobId)),
    );
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

  it('shares one run between two workers: a flow of range jobs, each range and position scored once', { timeout: 60_000 }, async () => {
    const more = Array.from({ length: 40 }, (_, i) => ({ profileId: `r${String(i).padStart(2, '0')}`, positions: datasetProfiles[i % 4]!.positions }));
    await storeScoredProfiles(database.db, await scoreProfiles(more, fixedClassifier('old-q', {}), '2024-06'), 'test');
    await worker.close();
    const spawnWorker = async () => {
      const connection = redisConnection(process.env.REDIS_URL!, 'worker');
      const w = await startBackfillWorker({ connection, queueName, db: database.db, classifier: fixedClassifier('new-flow', {}), batchSize: 2, profilesPerRange: 5 });
      return { w, close: async () => (await w.close(), await connection.quit()) };
    };
    const [a, b] = [await spawnWorker(), await spawnWorker()];
    const ranByWorker = new Map<string, number>();
    for (const [name, { w }] of [['a', a], ['b', b]] as const) w.on('completed', (job) => job.name === 'backfill-range' && ranByWorker.set(name, (ranByWorker.get(name) ?? 0) + 1));
    try {
      // 44 profiles in ranges of 5: 9 range jobs.
      const id = await enqueueBackfill(queue, { sourceModelVersion: 'old-q' });
      const result = (await (await queue.getJob(id))!.waitUntilFinished(events, 45_000)) as BackfillResult;
      const total = 9 + more.reduce((n, p) => n + p.positions.length, 0);
      expect(result).toMatchObject({ status: 'done', rowsTotal: total, rowsScored: total, rowsThisCall: total, targetModelVersion: 'new-flow' });
      const [counts] = await queryRows<{ rows: number; distinct: number }>(
        database.db,
        sql`select count(*)::int as rows, count(distinct (profile_id, position_index))::int as distinct from predictions where model_version = 'new-flow'`,
      );
      expect(counts).toEqual({ rows: total, distinct: total });
      const ranges = await readRanges(database.db, result.runId);
      expect(ranges.map((r) => r.status)).toEqual(Array(9).fill('done'));
      expect(ranges.reduce((n, r) => n + r.rowsScored, 0)).toBe(total);
      expect([...ranByWorker.values()].reduce((n, k) => n + k, 0)).toBe(9);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
