import type { Command } from 'commander';
import { requireEnv } from '../../config.ts';
import { classifierSource, driftSettings, env, openMigratedDatabase } from '../context.ts';

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
      const { survivePoolErrors } = await import('../../store/pool-errors.ts');
      const { pingRedis, redisConnection } = await import('../../runtime/redis-connection.ts');
      const { startScoreWorker } = await import('../../queues/score/score-worker.ts');
      const { Resources } = await import('../../runtime/resources.ts');
      const { waitForDependency } = await import('../../runtime/wait-for-dependency.ts');
      const { logger } = await import('../../logger.ts');
      // (awaited: the classifier may load model files asynchronously)
      const classifier = await loadClassifier(classifierSource());
      const resources = new Resources();
      const database = resources.add('Postgres', await waitForDependency('Postgres', () => openMigratedDatabase(config)), (d) => d.close());
      await resources.starting(async () => {
        await waitForDependency('Redis', () => pingRedis(REDIS_URL));
        survivePoolErrors(database.db, logger.child({ component: 'postgres' }));
        const redis = resources.add('Redis', redisConnection(REDIS_URL, 'worker'), (r) => r.quit());
        const worker = await startScoreWorker({
          drift: driftSettings(config),
          connection: redis,
          queueName: config.QUEUE_NAME,
          concurrency: config.WORKER_CONCURRENCY,
          lockMs: config.WORKER_LOCK_MS,
          db: database.db,
          classifier,
          statsRefreshIntervalMs: config.STATS_REFRESH_INTERVAL_S * 1000,
        });
        return resources.add('score worker', worker, (w) => w.close());
      });
      logger.info(
        { queue: config.QUEUE_NAME, concurrency: config.WORKER_CONCURRENCY, modelVersion: classifier.modelVersion, database: database.location },
        'worker running',
      );
      await resources.untilSignal();
      logger.info('worker stopped');
    });
}
