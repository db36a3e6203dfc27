/** The producer side of the scoring queue: what the Kafka consumer enqueues through. */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobSink, ScoreJob, ScoreJobData } from '../../domain/score-job.ts';
import { type RetryPolicy, scoreJobOptions } from './score-job.ts';

export const SCORE_JOB_NAME = 'score';

export class ScoreQueue implements JobSink {
  readonly queue: Queue<ScoreJobData>;

  constructor(connection: Redis, name: string, private readonly retry: RetryPolicy) {
    this.queue = new Queue<ScoreJobData>(name, { connection });
  }

  /**
   * All jobs of a call are added in one MULTI/EXEC (BullMQ's addBulk): either the whole batch is
   * queued or none of it. A job whose id is already present is skipped by BullMQ, which is what
   * makes a re-delivered Kafka range enqueue nothing new.
   */
  async enqueue(jobs: readonly ScoreJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const opts = scoreJobOptions(this.retry);
    await this.queue.addBulk(jobs.map((job) => ({ name: SCORE_JOB_NAME, data: job.data, opts: { ...opts, jobId: job.id } })));
  }

  async missing(ids: readonly string[]): Promise<string[]> {
    const found = await Promise.all(ids.map((id) => this.queue.getJob(id)));
    return ids.filter((_, i) => !found[i]);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
