/** The BullMQ queues the dashboard shows: the streaming scoring queue and the backfill queue. */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { backfillQueue } from '../queues/backfill/backfill-queue.ts';
import { logger } from '../logger.ts';

export interface QueueNames {
  /** QUEUE_NAME of the streaming pipeline (default `score`). */
  score: string;
  /** BACKFILL_QUEUE_NAME (default `backfill`). */
  backfill: string;
}

/** Queue handles for reading and managing jobs; they never process any. */
export function openDashboardQueues(connection: Redis, names: QueueNames): Queue[] {
  const queues = [new Queue(names.score, { connection }), backfillQueue(connection, names.backfill)];
  // BullMQ re-emits connection errors on the queue, and an 'error' nobody listens to would end the
  // process: the dashboard must stay up (and say "not ready") while Redis is away.
  for (const queue of queues) queue.on('error', (err) => logger.warn({ queue: queue.name, err: err.message }, 'queue error'));
  return queues;
}

/** Quits politely when Redis is there; otherwise drops the connection instead of waiting out ioredis' retries. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
}
