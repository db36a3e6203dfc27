/**
 * The scoring job: what the Kafka consumer hands to the workers through BullMQ. One job carries a
 * contiguous offset range of one partition: the valid profiles of that range and its rejects (so
 * the worker writes both, and the range in the offset ledger, in one transaction).
 */
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { DeadLetterSchema } from '../domain/dead-letter.ts';
import { ProfileMessageSchema, describeIssues } from '../domain/profile.ts';

/** Kafka offsets are 64-bit: kept as decimal strings. */
const Offset = z.string().regex(/^\d+$/, { message: 'is not a decimal offset' });

export const ScoreJobDataSchema = z.object({
  /** `kafka:<topic>`: stored as the profiles' and dead letters' source. */
  source: z.string().min(1),
  topic: z.string().min(1),
  partition: z.number().int().nonnegative(),
  firstOffset: Offset,
  lastOffset: Offset,
  profiles: z.array(ProfileMessageSchema),
  deadLetters: z.array(DeadLetterSchema),
});
export type ScoreJobData = z.infer<typeof ScoreJobDataSchema>;

/**
 * A job's data as the worker reads it from Redis, checked again: the consumer validated every
 * profile, but a job written by another version or by hand must fail with the reason, not store
 * half-checked rows. Returns the reason where the data is not a scoring job.
 */
export function checkScoreJobData(data: unknown): { ok: true; data: ScoreJobData } | { ok: false; reason: string } {
  const parsed = ScoreJobDataSchema.safeParse(data);
  return parsed.success ? { ok: true, data: parsed.data } : { ok: false, reason: `invalid job data: ${describeIssues(parsed.error)}` };
}

export interface ScoreJob {
  id: string;
  data: ScoreJobData;
}

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
