/** The BullMQ queues the dashboard shows: the streaming scoring queue and the backfill queue. */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { backfillQueue } from '../jobs/backfill-queue.ts';

export interface QueueNames {
  /** QUEUE_NAME of the streaming pipeline (default `score`). */
  score: string;
  /** BACKFILL_QUEUE_NAME (default `backfill`). */
  backfill: string;
}

/** Queue handles for reading and managing jobs; they never process any. */
export function openDashboardQueues(connection: Redis, names: QueueNames): Queue[] {
  return [new Queue(names.score, { connection }), backfillQueue(connection, names.backfill)];
}
