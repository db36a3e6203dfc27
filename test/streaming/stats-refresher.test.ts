import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ThrottledStatsRefresher } from '../../src/store/stats-refresher.ts';

describe('the throttled statistics refresher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup(intervalMs: number, fail = () => false) {
    const calls: { version: string; at: number }[] = [];
    const refresher = new ThrottledStatsRefresher(async (version) => {
      calls.push({ version, at: Date.now() });
      if (fail()) throw new Error('database away');
    }, intervalMs);
    return { calls, refresher };
  }

  it('refreshes at once after a quiet period, then at most once per interval however many jobs end', async () => {
    const { calls, refresher } = setup(1000);
    const start = Date.now();
    refresher.markStale('m1');
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    for (let i = 0; i < 50; i += 1) {
      refresher.markStale('m1');
      await vi.advanceTimersByTimeAsync(50); // 50 jobs over 2.5 s
    }
    await vi.advanceTimersByTimeAsync(1000);
    // leading refresh at 0, then one per interval: 1000, 2000, and the trailing one at 3000
    expect(calls.map((c) => c.at - start)).toEqual([0, 1000, 2000, 3000]);
  });

  it('refreshes once more on flush when something is still stale, and not at all when nothing is', async () => {
    const { calls, refresher } = setup(60_000);
    refresher.markStale('m1');
    await vi.advanceTimersByTimeAsync(0);
    refresher.markStale('m1');
    refresher.markStale('m2');
    await refresher.flush();
    expect(calls.map((c) => c.version)).toEqual(['m1', 'm1', 'm2']);
    await refresher.flush();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(calls).toHaveLength(3);
  });

  it('keeps a version stale after a failed refresh and retries it one interval later', async () => {
    let failing = true;
    const { calls, refresher } = setup(500, () => failing);
    refresher.markStale('m1');
    await vi.advanceTimersByTimeAsync(0);
    failing = false;
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toHaveLength(2); // succeeded: nothing stale any more
  });
});
