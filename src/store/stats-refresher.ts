/**
 * Keeps drift statistics fresh without recomputing them after every job.
 *
 * The counters behind every other statistic are maintained by each job's own transaction
 * (statistics.ts); drift compares a version's class shares with its reference and is recomputed by
 * `refreshDriftStats`. Each worker does that at most once per interval: the first job after a quiet
 * period refreshes at once (leading edge), jobs during the interval only mark the version stale, and
 * one refresh runs when the interval ends (trailing edge) and once more on shutdown if anything is
 * still stale. With W workers the database does at most W refreshes per interval however many jobs
 * run; drift lags the rows by at most about one interval.
 */
import { sql } from 'drizzle-orm';
import { type DriftSettings, refreshDriftStats } from './distribution-stats.ts';
import { logger } from '../logger.ts';
import type { Db } from './db.ts';
import { inTransaction } from './transaction.ts';

export class ThrottledStatsRefresher {
  private readonly stale = new Set<string>();
  private lastStart = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly refresh: (modelVersion: string) => Promise<void>,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Notes that `modelVersion` got new predictions; a refresh follows within one interval. */
  markStale(modelVersion: string): void {
    this.stale.add(modelVersion);
    this.schedule();
  }

  /** Waits for a refresh in progress, then refreshes whatever is still stale (used on shutdown). */
  async flush(): Promise<void> {
    this.cancelTimer();
    await this.running;
    // (a refresh that just ended may have scheduled the next one: this call runs it now instead)
    this.cancelTimer();
    if (this.stale.size > 0) await this.run();
    this.cancelTimer();
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    // A refresh in progress reschedules itself when it ends, picking up what went stale meanwhile.
    if (this.timer || this.running) return;
    const delay = Math.max(0, this.lastStart + this.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, delay);
    // A pending refresh must not keep a finished process alive: shutdown calls flush().
    this.timer.unref();
  }

  private run(): Promise<void> {
    const versions = [...this.stale];
    this.stale.clear();
    this.lastStart = this.now();
    this.running = (async () => {
      for (const version of versions) {
        try {
          await this.refresh(version);
        } catch (err) {
          // Statistics are derived data: a failed refresh (e.g. the database is away) is retried at
          // the next interval rather than failing the jobs whose rows are already stored.
          this.stale.add(version);
          logger.warn({ err, modelVersion: version }, 'drift statistics refresh failed; retrying later');
        }
      }
    })().finally(() => {
      this.running = null;
      if (this.stale.size > 0) this.schedule();
    });
    return this.running;
  }
}

/**
 * Refreshes under a transaction-scoped advisory lock: two workers refreshing the same version at
 * once would otherwise both delete and re-insert the same keys and one would fail on a duplicate.
 */
export async function refreshStatsSerialized(db: Db, modelVersion: string, drift?: DriftSettings): Promise<void> {
  await inTransaction(db, async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`cv-pipeline:refresh-distribution-stats:${modelVersion}`}))`);
    await refreshDriftStats(tx, modelVersion, drift);
  });
}
