/** The producer side of the backfill queue: the nightly job scheduler and on-demand jobs. */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { BACKFILL_JOB_NAME, BACKFILL_JOB_OPTIONS, type BackfillJobData, NIGHTLY_SCHEDULER_ID } from './backfill-job.ts';

export interface NightlySchedule {
  /** Cron pattern, e.g. `0 2 * * *` (BACKFILL_CRON). */
  pattern: string;
  /** IANA time zone the pattern is read in (BACKFILL_TZ). */
  tz: string;
}

export function backfillQueue(connection: Redis, name: string): Queue<BackfillJobData> {
  return new Queue<BackfillJobData>(name, { connection });
}

/**
 * Creates or updates the nightly scheduler. BullMQ keeps one scheduler per id, so every worker
 * process may call this at start: the last pattern wins and no second schedule appears.
 */
export async function scheduleNightlyBackfill(queue: Queue<BackfillJobData>, schedule: NightlySchedule): Promise<void> {
  await queue.upsertJobScheduler(
    NIGHTLY_SCHEDULER_ID,
    { pattern: schedule.pattern, tz: schedule.tz },
    { name: BACKFILL_JOB_NAME, data: { trigger: 'schedule' }, opts: BACKFILL_JOB_OPTIONS },
  );
}

/** Queues one backfill now (visible in Bull Board like the nightly one). */
export async function enqueueBackfill(queue: Queue<BackfillJobData>, data: Omit<BackfillJobData, 'trigger'>): Promise<string> {
  const job = await queue.add(BACKFILL_JOB_NAME, { trigger: 'manual', ...data }, BACKFILL_JOB_OPTIONS);
  return job.id!;
}
