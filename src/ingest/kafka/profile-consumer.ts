/**
 * The Kafka side of streaming: a consumer group member that turns each fetched batch into scoring
 * jobs. Per batch, in this order:
 *
 *   1. validate every message and plan jobs (plan-jobs.ts);
 *   2. publish the invalid ones to the dead-letter topic;
 *   3. enqueue all jobs of the batch at once;
 *   4. only then commit the offset after the batch.
 *
 * A crash anywhere before 4 re-delivers the batch to whichever member owns the partition next:
 * delivery is at least once. Re-delivery enqueues nothing new (job ids name offset ranges) and
 * any job that does run twice writes the same rows (idempotent upserts): results are exactly once.
 * Only the dead-letter topic may see a reject twice; the dead-letter table keeps it once.
 */
import kafkajs from 'kafkajs';
import type { EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { JobSink } from '../../jobs/score-queue.ts';
import { logger } from '../../logger.ts';
import { publishRejected } from './dead-letter-topic.ts';
import { planJobs } from './plan-jobs.ts';

const { Partitioners } = kafkajs;

const FETCH_MAX_WAIT_MS = 500;
/** Across all partitions of the fetch: about a thousand typical profiles (~300 bytes each). */
const FETCH_MIN_BYTES = 256 * 1024;

export interface ProfileConsumerOptions {
  kafka: Kafka;
  topic: string;
  dlqTopic: string;
  groupId: string;
  /** Messages per scoring job. */
  jobSize: number;
  sink: JobSink;
  /** Partitions whose batches are handled at the same time by this member. */
  partitionsConsumedConcurrently?: number;
  /**
   * `restart` (default): a batch that keeps failing (Redis away, say) is retried and the consumer
   * restarts, indefinitely. `stop`: the first failure ends the consumer, as a crash would; tests
   * use it to stop a consumer between enqueue and commit.
   */
  onFailure?: 'restart' | 'stop';
}

export interface RunningConsumer {
  /** Finishes the batch in flight (enqueue and commit), leaves the group, disconnects. */
  stop(): Promise<void>;
  /** Rejects when the consumer crashed and will not restart. */
  readonly crashed: Promise<never>;
}

export interface BatchReport {
  partition: number;
  firstOffset: string;
  lastOffset: string;
  jobs: number;
  profiles: number;
  rejected: number;
}

export async function startProfileConsumer(options: ProfileConsumerOptions): Promise<RunningConsumer> {
  const { kafka, topic, groupId } = options;
  const log = logger.child({ component: 'consumer', topic, groupId });
  const consumer = kafka.consumer({
    groupId,
    // A shutdown waits for the fetch in flight; an idle fetch long-polls this long (default 5 s).
    maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
    // Under a trickle, a fetch returns as soon as one message is there, and every job would carry a
    // handful of profiles: per-job overhead then dominates (bench at an offered 1000/s: 8 profiles
    // per job, 840/s stored, p99 4 s). Waiting up to FETCH_MAX_WAIT_MS for this many bytes gives
    // jobs of about 60 and keeps up (p50 0.5 s, p99 1.3 s); a backlog fills it at once anyway.
    minBytes: FETCH_MIN_BYTES,
    ...(options.onFailure === 'stop' ? { retry: { retries: 0, restartOnFailure: async () => false } } : {}),
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });

  let crash: (err: Error) => void = () => {};
  const crashed = new Promise<never>((_, reject) => {
    crash = reject;
  });
  crashed.catch(() => {}); // observed by callers that care; never an unhandled rejection
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) crash(payload.error);
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
    log.info({ memberId: payload.memberId, assignment: payload.memberAssignment }, 'joined consumer group'),
  );

  await producer.connect();
  await consumer.connect();
  try {
    // A new group starts at the beginning of the topic: nothing published before the first
    // consumer started is skipped (re-reading is safe, skipping is not).
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      // Offsets are committed by hand, after the enqueue, and never by kafkajs on its own schedule.
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 3,
      eachBatch: async (payload) => {
        const report = await handleBatch(payload, options, producer);
        if (report) log.info(report, 'batch enqueued and committed');
      },
    });
  } catch (err) {
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    throw err;
  }

  return {
    crashed,
    async stop() {
      // kafkajs' disconnect waits for the batch in flight, whose last step is its commit.
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

async function handleBatch(
  { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isStale }: EachBatchPayload,
  options: ProfileConsumerOptions,
  producer: Producer,
): Promise<BatchReport | null> {
  // A stale batch belongs to a partition that was reassigned or re-seeked; the new owner or the
  // next fetch delivers it again.
  if (batch.messages.length === 0 || isStale()) return null;
  const { topic, partition } = batch;
  const plan = planJobs(topic, partition, batch.messages, options.jobSize);
  await publishRejected(producer, options.dlqTopic, { topic, partition }, plan.rejected);
  await options.sink.enqueue(plan.jobs);
  // The committed offset is the next one to read. batch.lastOffset() (not the last message's)
  // also covers trailing control records kafkajs filtered out.
  const next = (BigInt(batch.lastOffset()) + 1n).toString();
  await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: next }] }] });
  resolveOffset(batch.lastOffset());
  await heartbeat();
  return {
    partition,
    firstOffset: batch.firstOffset() ?? batch.messages[0]!.offset,
    lastOffset: batch.lastOffset(),
    jobs: plan.jobs.length,
    profiles: plan.jobs.reduce((n, j) => n + j.data.profiles.length, 0),
    rejected: plan.rejected.length,
  };
}
