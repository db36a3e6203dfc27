import type { Command } from 'commander';
import { loadClassifier } from '../../classify/load-classifier.ts';
import { requireEnv } from '../../config.ts';
import { survivePoolErrors } from '../../jobs/pool-errors.ts';
import { redisConnection } from '../../jobs/redis-connection.ts';
import { startScoreWorker } from '../../jobs/score-worker.ts';
import { stopOnSignal } from '../../jobs/signals.ts';
import { logger } from '../../logger.ts';
import { env, openMigratedDatabase } from '../context.ts';

export function registerWork(program: Command): void {
  program
    .command('work')
    .description(
      'run scoring jobs from the queue (REDIS_URL, QUEUE_NAME) and store results in Postgres (DATABASE_URL); WORKER_CONCURRENCY jobs at a time; runs until SIGTERM/SIGINT',
    )
    .action(async () => {
      const config = env();
      const { REDIS_URL } = requireEnv(config, 'work', ['REDIS_URL', 'DATABASE_URL']);
      // (awaited: the classifier may load model files asynchronously)
      const classifier = await loadClassifier();
      const database = await openMigratedDatabase(config);
      survivePoolErrors(database.db, logger.child({ component: 'postgres' }));
      const redis = redisConnection(REDIS_URL, 'worker');
      const closeConnections = async () => {
        await redis.quit().catch(() => {});
        await database.close();
      };
      const running = await startScoreWorker({
        connection: redis,
        queueName: config.QUEUE_NAME,
        concurrency: config.WORKER_CONCURRENCY,
        lockMs: config.WORKER_LOCK_MS,
        db: database.db,
        classifier,
        statsRefreshIntervalMs: config.STATS_REFRESH_INTERVAL_S * 1000,
      }).catch(async (err: unknown) => {
        await closeConnections();
        throw err;
      });
      logger.info(
        { queue: config.QUEUE_NAME, concurrency: config.WORKER_CONCURRENCY, modelVersion: classifier.modelVersion, database: database.location },
        'worker running',
      );
      await stopOnSignal(async () => {
        await running.close();
        await closeConnections();
      });
      logger.info('worker stopped');
    });
}
