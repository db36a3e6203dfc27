import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { requireEnv } from '../../config.ts';
import { env, nonNegativeInt, openMigratedDatabase } from '../context.ts';

export function registerBackfillWorker(program: Command): void {
  program
    .command('backfill-worker')
    .description(
      'schedule the nightly backfill (BACKFILL_CRON in BACKFILL_TZ, default 02:00 UTC) and run backfill jobs from the queue (REDIS_URL, BACKFILL_QUEUE_NAME) against DATABASE_URL; runs until SIGTERM/SIGINT',
    )
    .option('--no-schedule', 'only run jobs; leave the job scheduler as it is')
    .option('--threads <n>', `scoring threads (default: one per core = ${availableParallelism()}; 0 scores on the main thread)`, nonNegativeInt)
    .action(async (opts: { schedule: boolean; threads?: number }) => {
      const config = env();
      const { REDIS_URL } = requireEnv(config, 'backfill-worker', ['REDIS_URL', 'DATABASE_URL']);
      const { loadClassifier } = await import('../../classify/load-classifier.ts');
      const { backfillQueue, scheduleNightlyBackfill } = await import('../../jobs/backfill-queue.ts');
      const { startBackfillWorker } = await import('../../jobs/backfill-worker.ts');
      const { ScoringPool, defaultScoringThreads } = await import('../../jobs/scoring-pool.ts');
      const { survivePoolErrors } = await import('../../jobs/pool-errors.ts');
      const { redisConnection } = await import('../../jobs/redis-connection.ts');
      const { stopOnSignal } = await import('../../jobs/signals.ts');
      const { waitForDependency } = await import('../../jobs/wait-for-dependency.ts');
      const { logger } = await import('../../logger.ts');
      const classifier = await loadClassifier();
      const threads = opts.threads ?? defaultScoringThreads();
      const pool = threads > 0 ? await ScoringPool.start(threads) : null;
      const database = await waitForDependency('Postgres', () => openMigratedDatabase(config)).catch(async (err: unknown) => {
        await pool?.close();
        throw err;
      });
      survivePoolErrors(database.db, logger.child({ component: 'postgres' }));
      const queueRedis = redisConnection(REDIS_URL, 'queue');
      const workerRedis = redisConnection(REDIS_URL, 'worker');
      const queue = backfillQueue(queueRedis, config.BACKFILL_QUEUE_NAME);
      const closeAll = async () => {
        await queue.close().catch(() => {});
        await queueRedis.quit().catch(() => {});
        await workerRedis.quit().catch(() => {});
        await pool?.close();
        await database.close();
      };
      try {
        if (opts.schedule) await scheduleNightlyBackfill(queue, { pattern: config.BACKFILL_CRON, tz: config.BACKFILL_TZ });
        const worker = await startBackfillWorker({
          connection: workerRedis,
          queueName: config.BACKFILL_QUEUE_NAME,
          db: database.db,
          classifier,
          batchSize: config.BACKFILL_BATCH_SIZE,
          scorer: pool,
        });
        logger.info(
          { queue: config.BACKFILL_QUEUE_NAME, cron: opts.schedule ? config.BACKFILL_CRON : null, tz: config.BACKFILL_TZ, modelVersion: classifier.modelVersion },
          'backfill worker running',
        );
        await stopOnSignal(async () => {
          await worker.close();
          await closeAll();
        });
      } catch (err) {
        await closeAll();
        throw err;
      }
      logger.info('backfill worker stopped');
    });
}
