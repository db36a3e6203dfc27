/** The backfill job of the BullMQ queue `backfill` (BACKFILL_QUEUE_NAME): what it carries, how it retries. */
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

export const BACKFILL_JOB_NAME = 'backfill';
/** A child of a backfill job: one range of its run. */
export const BACKFILL_RANGE_JOB_NAME = 'backfill-range';
/** The id of the nightly job scheduler; upserting it again replaces its pattern, never duplicates it. */
export const NIGHTLY_SCHEDULER_ID = 'nightly-backfill';

export const BackfillJobDataSchema = z.object({
  trigger: z.enum(['schedule', 'manual']),
  sourceModelVersion: z.string().min(1).nullish(),
  /** ISO timestamp. */
  since: z.iso.datetime().nullish(),
  /** Set by the job itself once it has added its range children: the run they score, and where the job took it up. */
  start: z
    .object({ runId: z.number().int().positive(), resumed: z.boolean(), rowsAtStart: z.number().int().nonnegative() })
    .optional(),
});
export type BackfillJobData = z.infer<typeof BackfillJobDataSchema>;

export const BackfillRangeJobDataSchema = z.object({
  runId: z.number().int().positive(),
  rangeIndex: z.number().int().nonnegative(),
  /** The month treated as "now" for career features: the parent's, so every range agrees. */
  asOf: z.string().regex(/^\d{4}-\d{2}$/),
});
export type BackfillRangeJobData = z.infer<typeof BackfillRangeJobDataSchema>;

/** What Bull Board shows as the job's progress (BullMQ stores it with the job). */
export interface BackfillJobProgress {
  percent: number;
  runId: number;
  rowsScored: number;
  rowsTotal: number;
}

/**
 * A failed backfill retries a few times with backoff; each attempt resumes the same run (a range
 * from its cursor), so a retry costs only the batch that was in flight.
 */
export const BACKFILL_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 60_000 },
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 100 },
};

/** A range job: retried like its parent; failing for good fails the parent (the run stays resumable). */
export const BACKFILL_RANGE_JOB_OPTIONS: JobsOptions = {
  ...BACKFILL_JOB_OPTIONS,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: { count: 1000 },
  failParentOnFailure: true,
};
