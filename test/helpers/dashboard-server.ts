/** The dashboard server on a free port of 127.0.0.1, built as `serve` builds it, for HTTP and browser tests. */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TitleClassifier } from '../../src/domain/prediction.ts';
import { redisConnection } from '../../src/runtime/redis-connection.ts';
import { buildServer } from '../../src/server/app.ts';
import type { Credentials } from '../../src/server/auth.ts';
import { type Check, kafkaCheck, postgresCheck, redisCheck } from '../../src/server/health.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { closeRedis, openDashboardQueues } from '../../src/server/queues.ts';
import type { Db } from '../../src/store/db.ts';

export interface TestDashboard {
  url: string;
  queues: Queue[];
  close(): Promise<void>;
}

export interface TestDashboardOptions {
  db: Db;
  classifier: TitleClassifier;
  credentials: Credentials | readonly Credentials[] | null;
  /** Queue names (Redis from REDIS_URL); none: no queues. */
  queueNames?: { score: string; backfill: string };
  /** Replaces the Kafka check (default: KAFKA_BROKERS when set). */
  kafka?: Check | null;
  /** Redis of the queues (default: REDIS_URL). */
  redisUrl?: string;
}

export async function startTestDashboard(options: TestDashboardOptions): Promise<TestDashboard> {
  const redisUrl = options.redisUrl ?? process.env.REDIS_URL;
  const redis: Redis | null = redisUrl && options.queueNames ? redisConnection(redisUrl, 'queue') : null;
  const queues = redis && options.queueNames ? openDashboardQueues(redis, options.queueNames) : [];
  const metrics = createMetrics({ db: options.db, queues, eventConnection: redis ? () => redisConnection(redisUrl!, 'worker') : null });
  const brokers = process.env.KAFKA_BROKERS;
  const app = await buildServer({
    db: options.db,
    classifier: options.classifier,
    queues,
    checks: {
      postgres: postgresCheck(options.db),
      redis: redis ? redisCheck(redis) : null,
      kafka: options.kafka !== undefined ? options.kafka : brokers ? kafkaCheck(brokers.split(',')) : null,
    },
    credentials: options.credentials,
    metrics,
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    queues,
    async close() {
      await app.close();
      await metrics.close();
      await Promise.all(queues.map((q) => q.close()));
      if (redis) await closeRedis(redis);
    },
  };
}

export const basicAuth = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
