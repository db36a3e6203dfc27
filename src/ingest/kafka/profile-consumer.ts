/**
 * The Kafka side of streaming: a consumer group member that turns each fetched batch into scoring
 * jobs, and commits offsets only behind what Postgres has stored.
 *
 * THE INVARIANT (kept here, by `commitStored`): a partition's committed offset never passes an
 * offset whose rows (or dead letters) Postgres does not hold. Workers record each job's offset
 * range in the offset ledger (`stored_offsets`) in the same transaction as its rows; this member
 * commits a partition only up to the end of the leading batches whose ranges are all in the ledger.
 * So Redis is a work queue, never the record: whatever it loses (a restart without persistence, a
 * FLUSHALL, eviction, a failover) is still in Kafka behind the committed offset. A batch that stays
 * unstored while one of its jobs is missing from the queue was lost there: the member seeks the
 * partition back to the batch and reads it again. Any crash before a commit re-delivers the range.
 *
 * Per fetched batch: validate and plan jobs (plan-jobs.ts), publish the invalid messages to the
 * dead-letter topic, enqueue the jobs (one MULTI), remember the batch as pending. Every
 * COMMIT_INTERVAL_MS: read the ledger, commit what is stored, prune the ledger behind it, look for
 * lost jobs, report the partitions' backlog (`consumer_partitions`).
 *
 * Re-delivery is harmless: a job id names its offset range (the same range enqueues once) and every
 * write is an upsert, so results are exactly once. Only the dead-letter topic may see a reject
 * twice; the dead-letter table keeps it once.
 */
import kafkajs from 'kafkajs';
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { JobSink } from '../../domain/score-job.ts';
import { logger } from '../../logger.ts';
import type { Db } from '../../store/db.ts';
import { pruneStoredRanges, reportPartitions, storedRangeKeys } from '../../store/offset-ledger.ts';
import { CommitTracker } from './commit-tracker.ts';
import { publishRejected } from './dead-letter-topic.ts';
import { planJobs } from './plan-jobs.ts';

const { Partitioners } = kafkajs;

const FETCH_MAX_WAIT_MS = 500;
/** Across all partitions of the fetch: about a thousand typical profiles (~300 bytes each). */
const FETCH_MIN_BYTES = 256 * 1024;
/**
 * Group membership: a member that dies (SIGKILL) is noticed after SESSION_TIMEOUT_MS, and the
 * survivors rejoin within a heartbeat; kafkajs' defaults (30 s session, 60 s rebalance) stalled the
 * group for about 97 s after a kill. The broker's group.min.session.timeout.ms (6 s) bounds it.
 */
const SESSION_TIMEOUT_MS = 10_000;
const HEARTBEAT_INTERVAL_MS = 1_000;
const REBALANCE_TIMEOUT_MS = 15_000;
/** How often stored ranges are committed (the lag between a job's transaction and its commit). */
const COMMIT_INTERVAL_MS = 1_000;
/**
 * A batch unstored this long has its jobs looked up in the queue; one that is missing there was
 * lost by Redis and its range is read again from Kafka. (Queued or running jobs are simply waited for.)
 */
const LOST_CHECK_AFTER_MS = 5_000;

export interface ProfileConsumerOptions {
  kafka: Kafka;
  topic: string;
  dlqTopic: string;
  groupId: string;
  /** Messages per scoring job. */
  jobSize: number;
  sink: JobSink;
  /** Where the workers record stored ranges (the offset ledger). */
  db: Db;
  /** Partitions whose batches are handled at the same time by this member. */
  partitionsConsumedConcurrently?: number;
  /**
   * `restart` (default): a batch that keeps failing (Redis away, say) is retried and the consumer
   * restarts, indefinitely. `stop`: the first failure ends the consumer, as a crash would; tests
   * use it to stop a consumer between enqueue and commit.
   */
  onFailure?: 'restart' | 'stop';
  commitIntervalMs?: number;
  lostCheckAfterMs?: number;
}

export interface RunningConsumer {
  /** Finishes the batch in flight, commits what is stored, leaves the group, disconnects. */
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
    sessionTimeout: SESSION_TIMEOUT_MS,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    rebalanceTimeout: REBALANCE_TIMEOUT_MS,
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
  const tracker = new CommitTracker();
  /** The partitions of the topic this member owns (from the last group join). */
  const assigned = new Set<number>();

  let crash: (err: Error) => void = () => {};
  const crashed = new Promise<never>((_, reject) => {
    crash = reject;
  });
  crashed.catch(() => {}); // observed by callers that care; never an unhandled rejection
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) crash(payload.error);
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    // Partitions now owned by another member are theirs to commit: forget what was pending here
    // (the new owner reads them again from the committed offset).
    const owned = payload.memberAssignment[topic] ?? [];
    tracker.retain(owned);
    assigned.clear();
    for (const p of owned) assigned.add(p);
    log.info({ memberId: payload.memberId, assignment: payload.memberAssignment }, 'joined consumer group');
  });

  await producer.connect();
  await consumer.connect();
  try {
    // A new group starts at the beginning of the topic: nothing published before the first
    // consumer started is skipped (re-reading is safe, skipping is not).
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      // Offsets are committed by the committer below, once stored, never by kafkajs on its own.
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 3,
      eachBatch: async (payload) => {
        const report = await handleBatch(payload, options, producer, tracker);
        if (report) log.debug(report, 'batch enqueued');
      },
    });
  } catch (err) {
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    throw err;
  }

  const committer = new Committer(consumer, tracker, assigned, options, log);
  const timer = setInterval(() => void committer.pass(), options.commitIntervalMs ?? COMMIT_INTERVAL_MS);
  timer.unref(); // a crashed consumer's process must be able to exit

  return {
    crashed,
    async stop() {
      clearInterval(timer);
      // Commits what is stored while still a member; a batch in flight stays uncommitted and is
      // read again by the next owner (its jobs are already queued under the same ids).
      await committer.pass();
      // kafkajs' disconnect waits for the batch in flight.
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

async function handleBatch(
  { batch, resolveOffset, heartbeat, isStale }: EachBatchPayload,
  options: ProfileConsumerOptions,
  producer: Producer,
  tracker: CommitTracker,
): Promise<BatchReport | null> {
  // A stale batch belongs to a partition that was reassigned or re-seeked; the new owner or the
  // next fetch delivers it again.
  if (batch.messages.length === 0 || isStale()) return null;
  const { topic, partition } = batch;
  const plan = planJobs(topic, partition, batch.messages, options.jobSize);
  await publishRejected(producer, options.dlqTopic, { topic, partition }, plan.rejected);
  await options.sink.enqueue(plan.jobs);
  if (isStale()) return null;
  tracker.add(partition, {
    ranges: plan.jobs.map((j) => ({ id: j.id, firstOffset: j.data.firstOffset, lastOffset: j.data.lastOffset })),
    // The committed offset is the next one to read. batch.lastOffset() (not the last message's)
    // also covers trailing control records kafkajs filtered out.
    nextOffset: (BigInt(batch.lastOffset()) + 1n).toString(),
    publishedAt: Number(batch.messages[0]!.timestamp),
    enqueuedAt: Date.now(),
  });
  // Resolving moves the fetch position on; it commits nothing (autoCommit is off).
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

/** Commits stored ranges, re-reads lost ones and reports the backlog; one pass at a time. */
class Committer {
  private running: Promise<void> | null = null;
  private readonly committed = new Map<number, string>();
  private failing = false;

  constructor(
    private readonly consumer: Consumer,
    private readonly tracker: CommitTracker,
    private readonly assigned: ReadonlySet<number>,
    private readonly options: ProfileConsumerOptions,
    private readonly log: typeof logger,
  ) {}

  pass(): Promise<void> {
    this.running ??= this.commitStored().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Keeps the invariant of this module's header: commits only what the ledger says is stored. */
  private async commitStored(): Promise<void> {
    const { db, topic, groupId } = this.options;
    try {
      for (const partition of this.tracker.partitions()) {
        const head = this.tracker.head(partition);
        const stored = head ? await storedRangeKeys(db, topic, partition, head.ranges[0]?.firstOffset ?? head.nextOffset) : new Set<string>();
        const offset = this.tracker.advance(partition, stored);
        // Not after a rebalance took the partition away: its new owner commits it.
        if (offset !== null && this.assigned.has(partition)) {
          await this.consumer.commitOffsets([{ topic, partition, offset }]);
          this.tracker.confirm(partition, offset);
          this.committed.set(partition, offset);
          await pruneStoredRanges(db, topic, partition, offset);
        }
        await this.recoverLost(partition, stored);
      }
      await reportPartitions(
        db,
        [...this.assigned].map((partition) => {
          const backlog = this.tracker.backlog(partition);
          return {
            groupId,
            topic,
            partition,
            committedOffset: this.committed.get(partition) ?? null,
            unstoredRanges: backlog.unstoredRanges,
            oldestUnstoredAt: backlog.oldestPublishedAt === null ? null : new Date(backlog.oldestPublishedAt),
          };
        }),
      );
      if (this.failing) this.log.info('committing stored offsets again');
      this.failing = false;
    } catch (err) {
      // Postgres or the broker away: nothing is committed, so nothing can be lost; retried next pass.
      if (!this.failing) this.log.warn({ err: (err as Error).message }, 'cannot commit stored offsets now; retrying');
      this.failing = true;
    }
  }

  /**
   * The oldest pending batch of a partition, unstored for a while: if one of its jobs is gone from
   * the queue (Redis lost it), read the partition again from that batch. Jobs that wait, run or
   * failed for good are still in the queue and are left alone.
   */
  private async recoverLost(partition: number, stored: ReadonlySet<string>): Promise<void> {
    const head = this.tracker.head(partition);
    if (!head || Date.now() - head.enqueuedAt < (this.options.lostCheckAfterMs ?? LOST_CHECK_AFTER_MS)) return;
    const unstored = this.tracker.unstoredOfHead(partition, stored);
    const missing = await this.options.sink.missing(unstored.map((r) => r.id));
    if (missing.length === 0) return;
    const from = head.ranges[0]!.firstOffset;
    this.log.warn({ partition, from, jobs: missing }, 'jobs lost from the queue (Redis restarted, flushed or evicted); reading the range again from Kafka');
    this.tracker.drop(partition);
    this.consumer.seek({ topic: this.options.topic, partition, offset: from });
  }
}
