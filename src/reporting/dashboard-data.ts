/**
 * Everything the analytics page shows, read from the statistics tables and views in one place
 * (the page itself only renders). Reads only derived tables, so a page view costs little however
 * many predictions there are.
 */
import { SENIORITY_CLASSES, TASKS, type Task } from '../domain/labels.ts';
import { type BackfillRun, listRuns } from '../store/backfill-store.ts';
import type { Db } from '../store/db.ts';
import { queryFile } from '../store/sql-file.ts';
import { type ModelStatistics, readModelStatistics } from '../store/distribution-stats.ts';

export interface VersionSummary {
  modelVersion: string;
  positions: number;
  isLatest: boolean;
}

export interface DriftPoint {
  task: Task;
  day: string;
  n: number;
  psi: number;
  js: number;
  flagged: boolean;
}

export interface DriftOverall {
  task: Task;
  n: number;
  psi: number;
  js: number;
  threshold: number;
  flagged: boolean;
}

export interface FallbackPoint {
  task: Task;
  day: string;
  n: number;
  rate: number;
}

export interface OrganizationMix {
  organization: string;
  positions: number;
  shares: Record<string, number>;
}

export interface TenureRow {
  seniority: string;
  n: number;
  medianMonths: number;
}

export interface TransitionRow {
  from: string;
  to: string;
  moves: number;
  share: number;
}

export interface PromotionRow {
  profiles: number;
  transitions: number;
  promotions: number;
  promotionRate: number;
  promotedProfileShare: number;
}

/** A position the keyword fallback decided: what the model was unsure about. */
export interface UnsurePosition {
  title: string;
  organization: string | null;
  seniority: string;
  seniorityConfidence: number;
  department: string;
  departmentConfidence: number;
}

export interface DashboardData {
  versions: VersionSummary[];
  /** null when nothing is scored yet (or the version is unknown). */
  stats: ModelStatistics | null;
  reference: Partial<Record<Task, Record<string, number>>>;
  driftOverall: DriftOverall[];
  driftDaily: DriftPoint[];
  fallbackDaily: FallbackPoint[];
  organizations: OrganizationMix[];
  tenure: TenureRow[];
  transitions: TransitionRow[];
  promotion: PromotionRow | null;
  unsure: UnsurePosition[];
  backfillRuns: BackfillRun[];
}

const ORGANIZATIONS_SHOWN = 15;
const TRANSITIONS_SHOWN = 12;
const UNSURE_SHOWN = 10;

export async function readDashboard(db: Db, requestedVersion: string | null): Promise<DashboardData> {
  const versions = (
    await queryFile<{ model_version: string; positions: number; is_latest: boolean }>(db, 'dashboard/model-versions.sql')
  ).map((r) => ({ modelVersion: r.model_version, positions: r.positions, isLatest: r.is_latest }));
  const version = requestedVersion ?? versions.find((v) => v.isLatest)?.modelVersion ?? null;
  const empty: DashboardData = {
    versions,
    stats: null,
    reference: {},
    driftOverall: [],
    driftDaily: [],
    fallbackDaily: [],
    organizations: [],
    tenure: [],
    transitions: [],
    promotion: null,
    unsure: [],
    backfillRuns: await listRuns(db, 10),
  };
  if (version === null) return empty;
  const stats = await readModelStatistics(db, version);
  if (!stats) return empty;
  const byVersion = { model_version: version };
  return {
    ...empty,
    stats,
    reference: await readReference(db, version),
    ...(await readDrift(db, version)),
    fallbackDaily: (
      await queryFile<{ task: Task; scope_value: string; n: number; rate: number }>(db, 'dashboard/fallback-daily.sql', byVersion)
    ).map((r) => ({ task: r.task, day: r.scope_value, n: r.n, rate: r.rate })),
    organizations: await readOrganizations(db, version),
    // The page shows the analysts' named queries, cut to its space.
    tenure: (
      await queryFile<{ seniority: string; positions: number; median_months: number }>(db, 'analytics/tenure-by-seniority.sql', byVersion)
    ).map((r) => ({ seniority: r.seniority, n: r.positions, medianMonths: r.median_months })),
    transitions: (
      await queryFile<{ from_department: string; to_department: string; moves: number; share: number }>(
        db,
        'analytics/department-transitions.sql',
        byVersion,
      )
    )
      .slice(0, TRANSITIONS_SHOWN)
      .map((r) => ({ from: r.from_department, to: r.to_department, moves: r.moves, share: r.share })),
    promotion: await readPromotion(db, version),
    unsure: await readUnsure(db, version),
  };
}

async function readUnsure(db: Db, version: string): Promise<UnsurePosition[]> {
  const rows = await queryFile<{ title: string; organization: string | null; seniority: string; seniority_confidence: number; department: string; department_confidence: number }>(
    db,
    'dashboard/unsure-positions.sql',
    { model_version: version, limit: UNSURE_SHOWN },
  );
  return rows.map((r) => ({
    title: r.title,
    organization: r.organization,
    seniority: r.seniority,
    seniorityConfidence: r.seniority_confidence,
    department: r.department,
    departmentConfidence: r.department_confidence,
  }));
}

async function readReference(db: Db, version: string): Promise<DashboardData['reference']> {
  const rows = await queryFile<{ task: Task; label: string; share: number }>(db, 'dashboard/reference.sql', { model_version: version });
  const out: DashboardData['reference'] = {};
  for (const r of rows) (out[r.task] ??= {})[r.label] = r.share;
  return out;
}

async function readDrift(db: Db, version: string): Promise<Pick<DashboardData, 'driftOverall' | 'driftDaily'>> {
  const rows = await queryFile<{ task: Task; scope: string; scope_value: string; n: number; psi: number; js: number; threshold: number; flagged: boolean }>(
    db,
    'dashboard/drift.sql',
    { model_version: version },
  );
  const order = (t: Task) => TASKS.indexOf(t);
  return {
    driftOverall: rows
      .filter((r) => r.scope === 'overall')
      .sort((a, b) => order(a.task) - order(b.task))
      .map((r) => ({ task: r.task, n: r.n, psi: r.psi, js: r.js, threshold: r.threshold, flagged: r.flagged })),
    driftDaily: rows
      .filter((r) => r.scope === 'ingestion_day')
      .map((r) => ({ task: r.task, day: r.scope_value, n: r.n, psi: r.psi, js: r.js, flagged: r.flagged })),
  };
}

async function readOrganizations(db: Db, version: string): Promise<OrganizationMix[]> {
  const rows = await queryFile<Record<string, unknown> & { organization: string; name: string | null; positions: number }>(
    db,
    'analytics/seniority-mix-by-organization.sql',
    { model_version: version },
  );
  return rows.slice(0, ORGANIZATIONS_SHOWN).map((r) => ({
    // A name as written (the key folds case and legal forms: "ACME GmbH" and "Acme" are one row).
    organization: r.name ?? r.organization,
    positions: r.positions,
    // The view has one column per level, named as the level in lower case.
    shares: Object.fromEntries(SENIORITY_CLASSES.map((level) => [level, Number(r[level.toLowerCase()])])),
  }));
}

async function readPromotion(db: Db, version: string): Promise<PromotionRow | null> {
  const [row] = await queryFile<{ profiles: number; transitions: number; promotions: number; promotion_rate: number; promoted_profile_share: number }>(
    db,
    'dashboard/promotion.sql',
    { model_version: version },
  );
  return row
    ? { profiles: row.profiles, transitions: row.transitions, promotions: row.promotions, promotionRate: row.promotion_rate, promotedProfileShare: row.promoted_profile_share }
    : null;
}
