/**
 * The scoring job: what the Kafka consumer hands to the workers (through BullMQ). One job carries
 * a contiguous offset range of one partition: the valid profiles of that range and its rejects (so
 * the worker writes both, and the range in the offset ledger, in one transaction).
 */
import { z } from 'zod';
import { DeadLetterSchema } from './dead-letter.ts';
import { ProfileMessageSchema, describeIssues } from './profile.ts';

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

/** Where planned jobs go; the consumer depends on this, not on BullMQ. */
export interface JobSink {
  /** Resolves once every job is durably queued (or was already queued under its id). */
  enqueue(jobs: readonly ScoreJob[]): Promise<void>;
  /** The ids among `ids` that the queue does not hold in any state (it lost them). */
  missing(ids: readonly string[]): Promise<string[]>;
}
