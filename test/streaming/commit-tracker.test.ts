import { describe, expect, it } from 'vitest';
import { CommitTracker, type PendingBatch } from '../../src/ingest/kafka/commit-tracker.ts';
import { rangeKey } from '../../src/store/offset-ledger.ts';

const range = (first: number, last: number) => ({ id: `job-${first}-${last}`, firstOffset: String(first), lastOffset: String(last) });
const batch = (ranges: [number, number][], next: number, at = 0): PendingBatch => ({
  ranges: ranges.map(([f, l]) => range(f, l)),
  nextOffset: String(next),
  publishedAt: at,
  enqueuedAt: at,
});
const stored = (...ranges: [number, number][]) => new Set(ranges.map(([f, l]) => rangeKey(String(f), String(l))));

describe('the commit tracker', () => {
  it('commits nothing until the oldest batch is wholly stored', () => {
    const t = new CommitTracker();
    t.add(0, batch([[0, 49], [50, 99]], 100));
    expect(t.advance(0, stored([0, 49]))).toBeNull();
    expect(t.unstoredOfHead(0, stored([0, 49])).map((r) => r.id)).toEqual(['job-50-99']);
    expect(t.advance(0, stored([0, 49], [50, 99]))).toBe('100');
    expect(t.head(0)).toBeUndefined();
  });

  it('offers a released offset again until its commit is confirmed', () => {
    const t = new CommitTracker();
    t.add(0, batch([[0, 9]], 10));
    expect(t.advance(0, stored([0, 9]))).toBe('10'); // say the commit failed (a rebalance)
    expect(t.partitions()).toEqual([0]);
    expect(t.advance(0, stored())).toBe('10');
    t.confirm(0, '10');
    expect(t.advance(0, stored())).toBeNull();
    expect(t.partitions()).toEqual([]);
  });

  it('never skips a gap: a later batch stored first waits for the one before it', () => {
    const t = new CommitTracker();
    t.add(0, batch([[0, 9]], 10));
    t.add(0, batch([[10, 19]], 25)); // 20-24: control records; the batch's next offset covers them
    expect(t.advance(0, stored([10, 19]))).toBeNull();
    expect(t.advance(0, stored([0, 9], [10, 19]))).toBe('25');
  });

  it('counts ranges re-delivered behind a released offset as stored, and never moves the commit back', () => {
    const t = new CommitTracker();
    t.add(0, batch([[0, 9]], 10));
    t.add(0, batch([[10, 19]], 20));
    expect(t.advance(0, stored([0, 9], [10, 19]))).toBe('20');
    t.confirm(0, '20'); // the ledger behind 20 is pruned now
    // A rebalance re-delivers from an older offset, cut differently: behind 20 it is stored.
    t.add(0, batch([[5, 14]], 15));
    t.add(0, batch([[15, 19], [20, 29]], 30));
    expect(t.unstoredOfHead(0, stored())).toEqual([]);
    expect(t.advance(0, stored())).toBeNull(); // 15 is behind 20: nothing to commit
    expect(t.unstoredOfHead(0, stored()).map((r) => r.id)).toEqual(['job-20-29']);
    expect(t.advance(0, stored([20, 29]))).toBe('30');
  });

  it('keeps partitions apart, and forgets the ones a rebalance took away', () => {
    const t = new CommitTracker();
    t.add(0, batch([[0, 9]], 10, 1000));
    t.add(1, batch([[0, 9]], 10, 2000));
    t.add(1, batch([[10, 19]], 20, 3000));
    expect(t.backlog(1)).toEqual({ unstoredRanges: 2, oldestPublishedAt: 2000 });
    t.retain([1]);
    expect(t.partitions()).toEqual([1]);
    t.drop(1);
    expect(t.partitions()).toEqual([]);
    expect(t.backlog(1)).toEqual({ unstoredRanges: 0, oldestPublishedAt: null });
  });
});
