import type { Command } from 'commander';
import { requireEnv } from '../../config.ts';
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
      const { loadClassifier } = await import('../../classify/load-classifier.ts');
      const { survivePoolErrors } = await import('../../jobs/pool-errors.ts');
      const { pingRedis, redisConnection } = await import('../../jobs/redis-connection.ts');
      const { startScoreWorker } = await import('../../jobs/score-worker.ts');
      const { stopOnSignal } = await import('../../jobs/signals.ts');
      const { waitForDependency } = await import('../../jobs/wait-for-dependency.ts');
      const { logger } = await import('../../logger.ts');
      // (awaited: the classifier may load model files asynchronously)
      const classifier = await loadClassifier();
      const database = await waitForDependency('Postgres', () => openMigratedDatabase(config));
      await waitForDependency('Redis', () => pingRedis(REDIS_URL)).catch(async (err: unknown) => {
        await database.close();
        throw err;
      });
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
