/**
 * The scoring job in BullMQ: its id, retry policy and retention (the job's data is the domain's
 * ScoreJobData).
 */
import type { JobsOptions } from 'bullmq';

/**
 * The job id names the offset range it carries, so a re-delivered range yields the same id and
 * BullMQ refuses to enqueue it a second time. BullMQ forbids ':' in custom ids; Kafka topic names
 * cannot contain one, so `-` separates safely.
 */
export function scoreJobId(topic: string, partition: number, firstOffset: string, lastOffset: string): string {
  return `cv-${topic}-${partition}-${firstOffset}-${lastOffset}`;
}

export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}

/** Completed jobs are kept this long: their ids keep recognizing re-delivered ranges meanwhile. */
export const KEEP_COMPLETED_SECONDS = 3600;
/** Jobs that used every attempt stay for inspection and manual retry (BullMQ's `retryJobs`). */
export const KEEP_FAILED_SECONDS = 7 * 24 * 3600;

/** The one retry policy of scoring jobs: exponential backoff from `backoffMs`, `attempts` tries. */
export function scoreJobOptions(retry: RetryPolicy): JobsOptions {
  return {
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs },
    removeOnComplete: { age: KEEP_COMPLETED_SECONDS },
    removeOnFail: { age: KEEP_FAILED_SECONDS },
  };
}
