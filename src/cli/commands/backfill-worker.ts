import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { requireEnv } from '../../config.ts';
import { classifierSource, driftSettings, env, nonNegativeInt, openMigratedDatabase } from '../context.ts';

export function registerBackfillWorker(program: Command): void {
  program
    .command('backfill-worker')
    .description(
      'schedule the nightly backfill (BACKFILL_CRON in BACKFILL_TZ, default 02:00 UTC) and run backfill jobs from the queue (REDIS_URL, BACKFILL_QUEUE_NAME) against DATABASE_URL; runs until SIGTERM/SIGINT',
    )
    .option('--no-schedule', 'only run jobs; leave the job scheduler as it is')
    // Range jobs scale out by processes (one per core, on any machine), each holding one classifier:
    // threads would each load another copy of it, the sentence encoder included.
    .option('--threads <n>', `scoring threads, each with its own copy of the classifier (default 0: scores on the main thread; run one process per core, ${availableParallelism()} here)`, nonNegativeInt)
    .action(async (opts: { schedule: boolean; threads?: number }) => {
      const config = env();
      const { REDIS_URL } = requireEnv(config, 'backfill-worker', ['REDIS_URL', 'DATABASE_URL']);
      const { loadClassifier } = await import('../../classify/load-classifier.ts');
      const { backfillQueue, scheduleNightlyBackfill } = await import('../../queues/backfill/backfill-queue.ts');
      const { startBackfillWorker } = await import('../../queues/backfill/backfill-worker.ts');
      const { ScoringPool } = await import('../../queues/backfill/scoring-pool.ts');
      const { survivePoolErrors } = await import('../../store/pool-errors.ts');
      const { redisConnection } = await import('../../runtime/redis-connection.ts');
      const { Resources } = await import('../../runtime/resources.ts');
      const { waitForDependency } = await import('../../runtime/wait-for-dependency.ts');
      const { logger } = await import('../../logger.ts');
      const classifier = await loadClassifier(classifierSource());
      const threads = opts.threads ?? 0;
      const resources = new Resources();
      const pool = threads > 0 ? resources.add('scoring threads', await ScoringPool.start(threads, classifierSource()), (p) => p.close()) : null;
      const database = await resources.starting(async () =>
        resources.add('Postgres', await waitForDependency('Postgres', () => openMigratedDatabase(config)), (d) => d.close()),
      );
      survivePoolErrors(database.db, logger.child({ component: 'postgres' }));
      const queueRedis = resources.add('Redis (queue)', redisConnection(REDIS_URL, 'queue'), (r) => r.quit());
      const workerRedis = resources.add('Redis (worker)', redisConnection(REDIS_URL, 'worker'), (r) => r.quit());
      const queue = resources.add('backfill queue', backfillQueue(queueRedis, config.BACKFILL_QUEUE_NAME), (q) => q.close());
      await resources.starting(async () => {
        if (opts.schedule) await scheduleNightlyBackfill(queue, { pattern: config.BACKFILL_CRON, tz: config.BACKFILL_TZ });
        const worker = await startBackfillWorker({
          connection: workerRedis,
          drift: driftSettings(config),
          queueName: config.BACKFILL_QUEUE_NAME,
          db: database.db,
          classifier,
          batchSize: config.BACKFILL_BATCH_SIZE,
          profilesPerRange: config.BACKFILL_RANGE_PROFILES,
          scorer: pool,
        });
        resources.add('backfill worker', worker, (w) => w.close());
      });
      logger.info(
        { queue: config.BACKFILL_QUEUE_NAME, cron: opts.schedule ? config.BACKFILL_CRON : null, tz: config.BACKFILL_TZ, modelVersion: classifier.modelVersion },
        'backfill worker running',
      );
      await resources.untilSignal();
      logger.info('backfill worker stopped');
    });
}
