import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { loadClassifier } from '../../classify/load-classifier.ts';
import { requireEnv } from '../../config.ts';
import { backfillQueue, scheduleNightlyBackfill } from '../../jobs/backfill-queue.ts';
import { startBackfillWorker } from '../../jobs/backfill-worker.ts';
import { ScoringPool, defaultScoringThreads } from '../../jobs/scoring-pool.ts';
import { survivePoolErrors } from '../../jobs/pool-errors.ts';
import { redisConnection } from '../../jobs/redis-connection.ts';
import { stopOnSignal } from '../../jobs/signals.ts';
import { logger } from '../../logger.ts';
import { env, openMigratedDatabase } from '../context.ts';

export function registerBackfillWorker(program: Command): void {
  program
    .command('backfill-worker')
    .description(
      'schedule the nightly backfill (BACKFILL_CRON in BACKFILL_TZ, default 02:00 UTC) and run backfill jobs from the queue (REDIS_URL, BACKFILL_QUEUE_NAME) against DATABASE_URL; runs until SIGTERM/SIGINT',
    )
    .option('--no-schedule', 'only run jobs; leave the job scheduler as it is')
    .option('--threads <n>', `scoring threads (default: one per core = ${defaultScoringThreads()}; 0 scores on the main thread)`, (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be an integer >= 0');
      return n;
    })
    .action(async (opts: { schedule: boolean; threads?: number }) => {
      const config = env();
      const { REDIS_URL } = requireEnv(config, 'backfill-worker', ['REDIS_URL', 'DATABASE_URL']);
      const classifier = await loadClassifier();
      const threads = opts.threads ?? defaultScoringThreads();
      const pool = threads > 0 ? await ScoringPool.start(threads) : null;
      const database = await openMigratedDatabase(config).catch(async (err: unknown) => {
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
