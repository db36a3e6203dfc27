/**
 * Which offsets of each partition a consumer may commit: the batches it enqueued, in offset order,
 * each released only once every one of its job ranges is in the offset ledger (stored in Postgres).
 * Pure bookkeeping, no client and no clock, so the rule is tested without a broker.
 */
import { rangeKey } from '../../store/offset-ledger.ts';

export interface PendingRange {
  /** The scoring job's id (it names the range). */
  id: string;
  firstOffset: string;
  lastOffset: string;
}

export interface PendingBatch {
  /** The batch's job ranges, in offset order. */
  ranges: PendingRange[];
  /** What to commit once every range is stored: the batch's last offset + 1 (control records included). */
  nextOffset: string;
  /** Kafka timestamp (ms) of the batch's first message. */
  publishedAt: number;
  /** When this member enqueued the batch (ms). */
  enqueuedAt: number;
}

export class CommitTracker {
  private readonly pending = new Map<number, PendingBatch[]>();
  /** Offsets released by `advance` whose commit has not been confirmed yet (a failed commit is retried). */
  private readonly releasable = new Map<number, string>();
  /**
   * The highest offset released per partition: everything below it is stored (the invariant), even
   * where its ledger rows were pruned. A range re-delivered after a rebalance can lie below it, and
   * must count as stored, or the batch would wait forever for rows the ledger no longer lists.
   */
  private readonly floor = new Map<number, bigint>();

  add(partition: number, batch: PendingBatch): void {
    const queue = this.pending.get(partition);
    if (queue) queue.push(batch);
    else this.pending.set(partition, [batch]);
  }

  /** Partitions with batches pending or an offset waiting to be committed. */
  partitions(): number[] {
    const waiting = [...this.pending.keys()].filter((p) => this.pending.get(p)!.length > 0);
    return [...new Set([...waiting, ...this.releasable.keys()])];
  }

  /** The oldest batch not yet released. */
  head(partition: number): PendingBatch | undefined {
    return this.pending.get(partition)?.[0];
  }

  /** The ranges of the oldest batch that are not stored (`stored`: the ledger's range keys). */
  unstoredOfHead(partition: number, stored: ReadonlySet<string>): PendingRange[] {
    return (this.head(partition)?.ranges ?? []).filter((r) => !this.isStored(partition, r, stored));
  }

  private isStored(partition: number, range: PendingRange, stored: ReadonlySet<string>): boolean {
    const floor = this.floor.get(partition);
    return stored.has(rangeKey(range.firstOffset, range.lastOffset)) || (floor !== undefined && BigInt(range.lastOffset) < floor);
  }

  /**
   * Releases the leading batches whose ranges are all in `stored` and returns the offset to commit
   * (the last released batch's `nextOffset`, or an earlier release not yet confirmed), or null.
   * Batches stored out of order wait for the ones before them: a commit never skips a gap.
   */
  advance(partition: number, stored: ReadonlySet<string>): string | null {
    const queue = this.pending.get(partition) ?? [];
    while (queue.length > 0 && queue[0]!.ranges.every((r) => this.isStored(partition, r, stored))) {
      const next = queue.shift()!.nextOffset;
      const floor = this.floor.get(partition);
      // A re-delivered batch behind what was released never moves the commit back.
      if (floor !== undefined && BigInt(next) <= floor) continue;
      this.floor.set(partition, BigInt(next));
      this.releasable.set(partition, next);
    }
    return this.releasable.get(partition) ?? null;
  }

  /** The commit of `offset` went through. */
  confirm(partition: number, offset: string): void {
    if (this.releasable.get(partition) === offset) this.releasable.delete(partition);
  }

  /** Forgets a partition: it was revoked, or is about to be re-read from its committed offset. */
  drop(partition: number): void {
    this.pending.delete(partition);
    this.releasable.delete(partition);
    this.floor.delete(partition);
  }

  /** Keeps only these partitions (the member's new assignment after a rebalance). */
  retain(partitions: readonly number[]): void {
    for (const p of this.partitions()) if (!partitions.includes(p)) this.drop(p);
  }

  /** Ranges enqueued and not yet released, and the publication time of the oldest of them. */
  backlog(partition: number): { unstoredRanges: number; oldestPublishedAt: number | null } {
    const queue = this.pending.get(partition) ?? [];
    return {
      unstoredRanges: queue.reduce((n, b) => n + b.ranges.length, 0),
      oldestPublishedAt: queue[0]?.publishedAt ?? null,
    };
  }
}
