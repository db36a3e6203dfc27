/**
 * Distribution statistics per model version: refreshed from predictions by the SQL in
 * `sql/refresh_distribution_stats.sql`, read back for summaries and the `stats` command.
 */
import { and, asc, desc, eq } from 'drizzle-orm';
import type { Db } from './db.ts';
import { confidenceHistograms, distributionStats, modelStats } from './schema.ts';
import { bindParameters, readStatements } from './sql-file.ts';
import { inTransaction } from './transaction.ts';

/**
 * The refresh, in order: class shares, confidence histograms and fallback rates first, then drift
 * (which reads the shares just written), then the career aggregates.
 */
const REFRESH_FILES = ['refresh_distribution_stats.sql', 'refresh_drift_stats.sql', 'refresh_career_stats.sql'];
const REFRESH_STATEMENTS = REFRESH_FILES.flatMap((file) => readStatements(file));

/** How drift is flagged; the command line passes DRIFT_PSI_THRESHOLD and DRIFT_MIN_POSITIONS. */
export interface DriftSettings {
  /** PSI above which a drift slice is flagged. */
  driftThreshold: number;
  /** Fewest positions a slice needs before it can be flagged. */
  driftMinPositions: number;
}

/** The defaults of DRIFT_PSI_THRESHOLD and DRIFT_MIN_POSITIONS (src/config.ts). */
export const DEFAULT_DRIFT: DriftSettings = { driftThreshold: 0.2, driftMinPositions: 100 };

/** Recomputes every statistic of `modelVersion` atomically. */
export async function refreshDistributionStats(db: Db, modelVersion: string, drift: DriftSettings = DEFAULT_DRIFT): Promise<void> {
  const params = { model_version: modelVersion, drift_threshold: drift.driftThreshold, drift_min_positions: drift.driftMinPositions };
  await inTransaction(db, async (tx) => {
    for (const statement of REFRESH_STATEMENTS) await tx.execute(bindParameters(statement, params));
  });
}

export interface ClassShare {
  label: string;
  n: number;
  share: number;
}

export interface ModelStatistics {
  modelVersion: string;
  profiles: number;
  positions: number;
  seniorityFallbackRate: number;
  departmentFallbackRate: number;
  seniorityMeanConfidence: number;
  departmentMeanConfidence: number;
  shares: { seniority: ClassShare[]; department: ClassShare[] };
  histograms: { seniority: number[]; department: number[] };
}

/** Reads the overall statistics of one model version, or null when it scored nothing. */
export async function readModelStatistics(db: Db, modelVersion: string): Promise<ModelStatistics | null> {
  const [summary] = await db.select().from(modelStats).where(eq(modelStats.modelVersion, modelVersion));
  if (!summary) return null;
  const shares = await db
    .select({ task: distributionStats.task, label: distributionStats.label, n: distributionStats.n, share: distributionStats.share })
    .from(distributionStats)
    .where(and(eq(distributionStats.modelVersion, modelVersion), eq(distributionStats.scope, 'overall')))
    .orderBy(desc(distributionStats.n), asc(distributionStats.label));
  const buckets = await db
    .select()
    .from(confidenceHistograms)
    .where(eq(confidenceHistograms.modelVersion, modelVersion));
  const histogram = (task: string) => {
    const counts = new Array<number>(10).fill(0);
    for (const b of buckets) if (b.task === task) counts[b.bucket] = b.n;
    return counts;
  };
  const sharesOf = (task: string) => shares.filter((s) => s.task === task).map(({ label, n, share }) => ({ label, n, share }));
  return {
    modelVersion,
    profiles: summary.profiles,
    positions: summary.positions,
    seniorityFallbackRate: summary.seniorityFallbackRate,
    departmentFallbackRate: summary.departmentFallbackRate,
    seniorityMeanConfidence: summary.seniorityMeanConfidence,
    departmentMeanConfidence: summary.departmentMeanConfidence,
    shares: { seniority: sharesOf('seniority'), department: sharesOf('department') },
    histograms: { seniority: histogram('seniority'), department: histogram('department') },
  };
}

/** Model versions that have statistics, newest first. */
export async function listScoredModelVersions(db: Db): Promise<string[]> {
  const rows = await db.select({ v: modelStats.modelVersion }).from(modelStats).orderBy(desc(modelStats.computedAt));
  return rows.map((r) => r.v);
}
