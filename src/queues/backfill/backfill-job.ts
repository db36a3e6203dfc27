/** The backfill job of the BullMQ queue `backfill` (BACKFILL_QUEUE_NAME): what it carries, how it retries. */
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

export const BACKFILL_JOB_NAME = 'backfill';
/** The id of the nightly job scheduler; upserting it again replaces its pattern, never duplicates it. */
export const NIGHTLY_SCHEDULER_ID = 'nightly-backfill';

export const BackfillJobDataSchema = z.object({
  trigger: z.enum(['schedule', 'manual']),
  sourceModelVersion: z.string().min(1).nullish(),
  /** ISO timestamp. */
  since: z.iso.datetime().nullish(),
});
export type BackfillJobData = z.infer<typeof BackfillJobDataSchema>;

/** What Bull Board shows as the job's progress (BullMQ stores it with the job). */
export interface BackfillJobProgress {
  percent: number;
  runId: number;
  rowsScored: number;
  rowsTotal: number;
}

/**
 * A failed backfill retries a few times with backoff; each attempt resumes the same run from its
 * cursor, so a retry costs only the batch that was in flight.
 */
export const BACKFILL_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 60_000 },
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 100 },
};
