/**
 * Statistics per model version: the counters are kept current by every batch write
 * (statistics.ts) and read through the views of migration 0010; what is still refreshed here is
 * drift against the reference distribution (`sql/refresh_drift_stats.sql`), which reads those views,
 * so its cost follows the number of statistics rows, not of predictions.
 */
import { and, asc, desc, eq } from 'drizzle-orm';
import type { Db } from './db.ts';
import { confidenceHistograms, distributionStats, modelStats, modelVersions } from './schema.ts';
import { bindParameters, readStatements } from './sql-file.ts';
import { rebuildStatistics } from './statistics.ts';
import { inTransaction } from './transaction.ts';

const DRIFT_STATEMENTS = readStatements('refresh_drift_stats.sql');

/** How drift is flagged; the command line passes DRIFT_PSI_THRESHOLD and DRIFT_MIN_POSITIONS. */
export interface DriftSettings {
  /** PSI above which a drift slice is flagged. */
  driftThreshold: number;
  /** Fewest positions a slice needs before it can be flagged. */
  driftMinPositions: number;
}

/** The defaults of DRIFT_PSI_THRESHOLD and DRIFT_MIN_POSITIONS (src/config.ts). */
export const DEFAULT_DRIFT: DriftSettings = { driftThreshold: 0.2, driftMinPositions: 100 };

/** Recomputes the drift of `modelVersion` from its current class shares, atomically. */
export async function refreshDriftStats(db: Db, modelVersion: string, drift: DriftSettings = DEFAULT_DRIFT): Promise<void> {
  const params = { model_version: modelVersion, drift_threshold: drift.driftThreshold, drift_min_positions: drift.driftMinPositions };
  await inTransaction(db, async (tx) => {
    for (const statement of DRIFT_STATEMENTS) await tx.execute(bindParameters(statement, params));
  });
}

/**
 * The repair: every counter of `modelVersion` (null: all versions) recomputed from the stored rows,
 * then drift, in one transaction. `cv-pipeline stats --rebuild` runs it.
 */
export async function rebuildStats(db: Db, modelVersion: string | null, drift: DriftSettings = DEFAULT_DRIFT): Promise<string[]> {
  return inTransaction(db, async (tx) => {
    await rebuildStatistics(tx, modelVersion);
    const versions = modelVersion === null ? await listScoredModelVersions(tx) : [modelVersion];
    for (const version of versions) await refreshDriftStats(tx, version, drift);
    return versions;
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
  const rows = await db
    .select({ v: modelStats.modelVersion })
    .from(modelStats)
    .innerJoin(modelVersions, eq(modelVersions.version, modelStats.modelVersion))
    .orderBy(desc(modelVersions.createdAt), desc(modelStats.modelVersion));
  return rows.map((r) => r.v);
}
