import type { Command } from 'commander';
import { brokerList, requireEnv } from '../../config.ts';
import { env } from '../context.ts';

export function registerConsume(program: Command): void {
  program
    .command('consume')
    .description(
      'read profiles from Kafka (KAFKA_TOPIC, group KAFKA_GROUP_ID), send invalid ones to KAFKA_DLQ_TOPIC and enqueue scoring jobs in Redis (REDIS_URL); runs until SIGTERM/SIGINT',
    )
    .action(async () => {
      const config = env();
      const { KAFKA_BROKERS, REDIS_URL } = requireEnv(config, 'consume', ['KAFKA_BROKERS', 'REDIS_URL']);
      const { createKafka } = await import('../../ingest/kafka/client.ts');
      const { startProfileConsumer } = await import('../../ingest/kafka/profile-consumer.ts');
      const { ensureTopics } = await import('../../ingest/kafka/topics.ts');
      const { redisConnection } = await import('../../jobs/redis-connection.ts');
      const { ScoreQueue } = await import('../../jobs/score-queue.ts');
      const { stopOnSignal } = await import('../../jobs/signals.ts');
      const { logger } = await import('../../logger.ts');
      const kafka = createKafka({ brokers: brokerList(KAFKA_BROKERS), clientId: config.KAFKA_CLIENT_ID });
      await ensureTopics(kafka, { topics: [config.KAFKA_TOPIC, config.KAFKA_DLQ_TOPIC], partitions: config.KAFKA_TOPIC_PARTITIONS });
      const redis = redisConnection(REDIS_URL, 'queue');
      const queue = new ScoreQueue(redis, config.QUEUE_NAME, { attempts: config.JOB_ATTEMPTS, backoffMs: config.JOB_BACKOFF_MS });
      const closeQueue = async () => {
        await queue.close();
        await redis.quit();
      };
      const consumer = await startProfileConsumer({
        kafka,
        topic: config.KAFKA_TOPIC,
        dlqTopic: config.KAFKA_DLQ_TOPIC,
        groupId: config.KAFKA_GROUP_ID,
        jobSize: config.JOB_BATCH_SIZE,
        sink: queue,
      }).catch(async (err: unknown) => {
        await closeQueue();
        throw err;
      });
      logger.info(
        { topic: config.KAFKA_TOPIC, dlqTopic: config.KAFKA_DLQ_TOPIC, groupId: config.KAFKA_GROUP_ID, queue: config.QUEUE_NAME },
        'consumer running',
      );
      const stopped = stopOnSignal(async () => {
        await consumer.stop();
        await closeQueue();
      });
      try {
        await Promise.race([stopped, consumer.crashed]);
      } catch (err) {
        await closeQueue().catch(() => {});
        throw new Error(`the Kafka consumer stopped: ${(err as Error).message}`);
      }
      logger.info('consumer stopped');
    });
}
