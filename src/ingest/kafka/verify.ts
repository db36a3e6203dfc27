/**
 * `cv-pipeline verify`: reconciles a topic against Postgres. Reads every message up to the log end
 * (as of the start) with a throwaway consumer group, validates it as the consumer does, and checks
 * that each valid one's profile is stored and each invalid one is dead-lettered. Offsets behind the
 * group's committed offset must all be there (the consumer's invariant): a miss there is LOST.
 * Offsets at or after it are still in flight: PENDING, not an error.
 */
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { inArray, eq } from 'drizzle-orm';
import type { Db } from '../../store/db.ts';
import { deadLetters, profiles } from '../../store/schema.ts';
import { kafkaRef, kafkaSource, parseMessage } from './plan-jobs.ts';

export interface PartitionCheck {
  partition: number;
  /** The log end when the check started: the next offset to be written. */
  logEnd: string;
  /** The group's committed offset (null: the group never committed this partition). */
  committed: string | null;
  messages: number;
  invalid: number;
  lost: number;
  pending: number;
}

export interface VerifyReport {
  topic: string;
  groupId: string;
  messages: number;
  valid: number;
  invalid: number;
  /** Behind the committed offset, yet not stored: the invariant broke. */
  lost: number;
  /** At or after the committed offset and not stored yet: in flight. */
  pending: number;
  /** Messages the group has not committed (log end - committed, all partitions). */
  lag: number;
  /** The first lost messages, `partition P offset O`. */
  lostRefs: string[];
  partitions: PartitionCheck[];
}

interface Expectation {
  partition: number;
  offset: bigint;
  ref: string;
  profileId: string | null;
}

const CHUNK = 5000;

export async function verifyTopic(kafka: Kafka, db: Db, topic: string, groupId: string): Promise<VerifyReport> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committedTopic] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = new Map((committedTopic?.partitions ?? []).map((p) => [p.partition, p.offset === '-1' ? null : p.offset]));
    const expected = await readTopic(kafka, topic, new Map(ends.map((e) => [e.partition, { low: BigInt(e.low), end: BigInt(e.high) }])));

    const storedProfiles = new Set<string>();
    const ids = [...new Set(expected.flatMap((e) => (e.profileId ? [e.profileId] : [])))];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await db.select({ id: profiles.profileId }).from(profiles).where(inArray(profiles.profileId, ids.slice(i, i + CHUNK)));
      for (const r of rows) storedProfiles.add(r.id);
    }
    const letters = new Set(
      (await db.select({ ref: deadLetters.sourceRef }).from(deadLetters).where(eq(deadLetters.source, kafkaSource(topic)))).map((r) => r.ref),
    );

    const partitions: PartitionCheck[] = ends
      .map((e) => ({ partition: e.partition, logEnd: e.high, committed: committed.get(e.partition) ?? null, messages: 0, invalid: 0, lost: 0, pending: 0 }))
      .sort((a, b) => a.partition - b.partition);
    const byPartition = new Map(partitions.map((p) => [p.partition, p]));
    const lostRefs: string[] = [];
    for (const e of expected) {
      const p = byPartition.get(e.partition)!;
      p.messages += 1;
      if (!e.profileId) p.invalid += 1;
      const stored = e.profileId ? storedProfiles.has(e.profileId) : letters.has(e.ref);
      if (stored) continue;
      if (p.committed !== null && e.offset < BigInt(p.committed)) {
        p.lost += 1;
        if (lostRefs.length < 20) lostRefs.push(e.ref);
      } else {
        p.pending += 1;
      }
    }
    const sum = (f: (p: PartitionCheck) => number) => partitions.reduce((n, p) => n + f(p), 0);
    return {
      topic,
      groupId,
      messages: sum((p) => p.messages),
      valid: sum((p) => p.messages - p.invalid),
      invalid: sum((p) => p.invalid),
      lost: sum((p) => p.lost),
      pending: sum((p) => p.pending),
      lag: sum((p) => Number(BigInt(p.logEnd) - BigInt(p.committed ?? ends.find((e) => e.partition === p.partition)!.low))),
      lostRefs,
      partitions,
    };
  } finally {
    await admin.disconnect();
  }
}

/** Every message of `topic` below each partition's end, read by a throwaway group (deleted after). */
async function readTopic(kafka: Kafka, topic: string, bounds: Map<number, { low: bigint; end: bigint }>): Promise<Expectation[]> {
  const out: Expectation[] = [];
  const left = new Set([...bounds].filter(([, b]) => b.end > b.low).map(([p]) => p));
  if (left.size === 0) return out;
  const groupId = `cv-pipeline-verify-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const { end } = bounds.get(batch.partition)!;
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset >= end) break;
          const parsed = parseMessage(m);
          out.push({ partition: batch.partition, offset, ref: kafkaRef(batch.partition, m.offset), profileId: parsed.ok ? parsed.value.profileId : null });
        }
        if (BigInt(batch.lastOffset()) + 1n >= end) left.delete(batch.partition);
        if (left.size === 0) done();
      },
    });
    await finished;
  } finally {
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect();
  }
  return out;
}
