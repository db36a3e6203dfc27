import type { Command } from 'commander';
import { brokerList, requireEnv } from '../../config.ts';
import { env, openMigratedDatabase } from '../context.ts';

export function registerConsume(program: Command): void {
  program
    .command('consume')
    .description(
      'read profiles from Kafka (KAFKA_TOPIC, group KAFKA_GROUP_ID), send invalid ones to KAFKA_DLQ_TOPIC and enqueue scoring jobs in Redis (REDIS_URL) and commit offsets once Postgres (DATABASE_URL) has stored them; runs until SIGTERM/SIGINT',
    )
    .action(async () => {
      const config = env();
      const { KAFKA_BROKERS, REDIS_URL } = requireEnv(config, 'consume', ['KAFKA_BROKERS', 'REDIS_URL', 'DATABASE_URL']);
      const { createKafka } = await import('../../ingest/kafka/client.ts');
      const { startProfileConsumer } = await import('../../ingest/kafka/profile-consumer.ts');
      const { ensureTopics } = await import('../../ingest/kafka/topics.ts');
      const { survivePoolErrors } = await import('../../store/pool-errors.ts');
      const { pingRedis, redisConnection } = await import('../../runtime/redis-connection.ts');
      const { ScoreQueue } = await import('../../queues/score/score-queue.ts');
      const { Resources } = await import('../../runtime/resources.ts');
      const { stopOnSignal } = await import('../../runtime/signals.ts');
      const { waitForDependency } = await import('../../runtime/wait-for-dependency.ts');
      const { logger } = await import('../../logger.ts');
      const resources = new Resources();
      // Postgres holds the offset ledger: offsets are committed only behind what it has stored.
      const database = resources.add('Postgres', await waitForDependency('Postgres', () => openMigratedDatabase(config)), (d) => d.close());
      survivePoolErrors(database.db, logger.child({ component: 'postgres' }));
      const kafka = createKafka({ brokers: brokerList(KAFKA_BROKERS), clientId: config.KAFKA_CLIENT_ID });
      const redis = resources.add('Redis', redisConnection(REDIS_URL, 'queue'), (r) => r.quit());
      const queue = resources.add(
        'score queue',
        new ScoreQueue(redis, config.QUEUE_NAME, { attempts: config.JOB_ATTEMPTS, backoffMs: config.JOB_BACKOFF_MS }),
        (q) => q.close(),
      );
      const consumer = await resources.starting(async () => {
        await waitForDependency('Redis', () => pingRedis(REDIS_URL));
        await waitForDependency('Kafka', () =>
          ensureTopics(kafka, { topics: [config.KAFKA_TOPIC, config.KAFKA_DLQ_TOPIC], partitions: config.KAFKA_TOPIC_PARTITIONS }),
        );
        return waitForDependency('the Kafka consumer group', () =>
          startProfileConsumer({
            kafka,
            topic: config.KAFKA_TOPIC,
            dlqTopic: config.KAFKA_DLQ_TOPIC,
            groupId: config.KAFKA_GROUP_ID,
            jobSize: config.JOB_BATCH_SIZE,
            sink: queue,
            db: database.db,
          }),
        );
      });
      logger.info(
        { topic: config.KAFKA_TOPIC, dlqTopic: config.KAFKA_DLQ_TOPIC, groupId: config.KAFKA_GROUP_ID, queue: config.QUEUE_NAME },
        'consumer running',
      );
      // The consumer stops first on a signal (it commits what is stored); a crashed one is not stopped.
      const stopped = stopOnSignal(async () => {
        await consumer.stop();
        await resources.closeAll();
      });
      try {
        await Promise.race([stopped, consumer.crashed]);
      } catch (err) {
        await resources.closeAll();
        throw new Error(`the Kafka consumer stopped: ${(err as Error).message}`);
      }
      logger.info('consumer stopped');
    });
}
