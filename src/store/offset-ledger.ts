/**
 * The offset ledger (schema.ts `stored_offsets`): which Kafka offset ranges Postgres holds, and
 * what the consumers report of their partitions (`consumer_partitions`). Written by the worker in
 * the job's own transaction, read by the consumer before it commits offsets.
 */
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import type { Db } from './db.ts';
import { consumerPartitions, storedOffsets } from './schema.ts';

export interface OffsetRange {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit integers, carried as decimal strings (kafkajs' own form). */
  firstOffset: string;
  lastOffset: string;
}

/** Records a range as stored; call it inside the transaction that stores the range's rows. */
export async function recordStoredRange(tx: Db, range: OffsetRange): Promise<void> {
  await tx
    .insert(storedOffsets)
    .values({ topic: range.topic, partition: range.partition, firstOffset: Number(range.firstOffset), lastOffset: Number(range.lastOffset) })
    .onConflictDoNothing();
}

/** The stored ranges of a partition that end at or after `fromOffset`, as `first-last` keys. */
export async function storedRangeKeys(db: Db, topic: string, partition: number, fromOffset: string): Promise<Set<string>> {
  const rows = await db
    .select({ first: storedOffsets.firstOffset, last: storedOffsets.lastOffset })
    .from(storedOffsets)
    .where(and(eq(storedOffsets.topic, topic), eq(storedOffsets.partition, partition), gte(storedOffsets.lastOffset, Number(fromOffset))));
  return new Set(rows.map((r) => rangeKey(String(r.first), String(r.last))));
}

export const rangeKey = (firstOffset: string, lastOffset: string) => `${firstOffset}-${lastOffset}`;

/** Forgets the ranges wholly behind a committed offset: Kafka will not deliver them to the group again. */
export async function pruneStoredRanges(db: Db, topic: string, partition: number, committedOffset: string): Promise<void> {
  await db
    .delete(storedOffsets)
    .where(and(eq(storedOffsets.topic, topic), eq(storedOffsets.partition, partition), lt(storedOffsets.lastOffset, Number(committedOffset))));
}

export interface PartitionReport {
  groupId: string;
  topic: string;
  partition: number;
  /** The next offset the group reads (null before the first commit). */
  committedOffset: string | null;
  unstoredRanges: number;
  /** Publication time of the oldest message enqueued but not yet stored. */
  oldestUnstoredAt: Date | null;
}

export async function reportPartitions(db: Db, reports: readonly PartitionReport[]): Promise<void> {
  if (reports.length === 0) return;
  await db
    .insert(consumerPartitions)
    .values(
      reports.map((r) => ({
        groupId: r.groupId,
        topic: r.topic,
        partition: r.partition,
        committedOffset: r.committedOffset === null ? null : Number(r.committedOffset),
        unstoredRanges: r.unstoredRanges,
        oldestUnstoredAt: r.oldestUnstoredAt,
      })),
    )
    .onConflictDoUpdate({
      target: [consumerPartitions.groupId, consumerPartitions.topic, consumerPartitions.partition],
      set: {
        committedOffset: sql`excluded.committed_offset`,
        unstoredRanges: sql`excluded.unstored_ranges`,
        oldestUnstoredAt: sql`excluded.oldest_unstored_at`,
        updatedAt: sql`now()`,
      },
    });
}

export async function readPartitionReports(db: Db, groupId: string, topic: string) {
  return db
    .select()
    .from(consumerPartitions)
    .where(and(eq(consumerPartitions.groupId, groupId), eq(consumerPartitions.topic, topic)));
}
