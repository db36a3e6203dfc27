/**
 * Everything the analytics page shows, read from the statistics tables and views in one place
 * (the page itself only renders). Reads only derived tables, so a page view costs little however
 * many predictions there are.
 */
import { sql } from 'drizzle-orm';
import { SENIORITY_CLASSES, TASKS, type Task } from '../domain/labels.ts';
import { type BackfillRun, listRuns } from '../store/backfill-store.ts';
import { type Db, queryRows } from '../store/db.ts';
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
    await queryRows<{ model_version: string; positions: number; is_latest: boolean }>(
      db,
      sql`select model_version, positions, is_latest from analytics_model_versions order by registered_at desc, model_version desc`,
    )
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
  return {
    ...empty,
    stats,
    reference: await readReference(db, version),
    ...(await readDrift(db, version)),
    fallbackDaily: await readFallbackDaily(db, version),
    organizations: await readOrganizations(db, version),
    tenure: (
      await queryRows<{ seniority: string; n: number; median_months: number }>(
        db,
        sql`select seniority, n, median_months from tenure_stats where model_version = ${version}
            order by array_position(${sql.param([...SENIORITY_CLASSES])}::text[], seniority)`,
      )
    ).map((r) => ({ seniority: r.seniority, n: r.n, medianMonths: r.median_months })),
    transitions: (
      await queryRows<{ from_department: string; to_department: string; moves: number; share: number }>(
        db,
        sql`select from_department, to_department, moves, share from analytics_department_transitions
            where model_version = ${version} and from_department <> to_department
            order by moves desc, from_department, to_department limit ${TRANSITIONS_SHOWN}`,
      )
    ).map((r) => ({ from: r.from_department, to: r.to_department, moves: r.moves, share: r.share })),
    promotion: await readPromotion(db, version),
    unsure: await readUnsure(db, version),
  };
}

async function readUnsure(db: Db, version: string): Promise<UnsurePosition[]> {
  const rows = await queryRows<{ title: string; organization: string | null; seniority: string; seniority_confidence: number; department: string; department_confidence: number }>(
    db,
    sql`select po.title, po.organization, pr.seniority, pr.seniority_confidence, pr.department, pr.department_confidence
        from predictions pr join positions po using (profile_id, position_index)
        where pr.model_version = ${version} and (pr.seniority_source = 'fallback' or pr.department_source = 'fallback')
        order by least(pr.seniority_confidence, pr.department_confidence), po.title, pr.profile_id, pr.position_index
        limit ${UNSURE_SHOWN}`,
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
  const rows = await queryRows<{ task: Task; label: string; share: number }>(
    db,
    sql`select task, label, share from reference_distributions where model_version = ${version}`,
  );
  const out: DashboardData['reference'] = {};
  for (const r of rows) (out[r.task] ??= {})[r.label] = r.share;
  return out;
}

async function readDrift(db: Db, version: string): Promise<Pick<DashboardData, 'driftOverall' | 'driftDaily'>> {
  const rows = await queryRows<{ task: Task; scope: string; scope_value: string; n: number; psi: number; js: number; threshold: number; flagged: boolean }>(
    db,
    sql`select task, scope, scope_value, n, psi, js, threshold, flagged from drift_stats
        where model_version = ${version} order by scope_value, task`,
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

async function readFallbackDaily(db: Db, version: string): Promise<FallbackPoint[]> {
  const rows = await queryRows<{ task: Task; scope_value: string; n: number; rate: number }>(
    db,
    sql`select task, scope_value, n, rate from fallback_rates
        where model_version = ${version} and scope = 'ingestion_day' order by scope_value, task`,
  );
  return rows.map((r) => ({ task: r.task, day: r.scope_value, n: r.n, rate: r.rate }));
}

async function readOrganizations(db: Db, version: string): Promise<OrganizationMix[]> {
  const rows = await queryRows<Record<string, unknown> & { organization: string; positions: number }>(
    db,
    sql`select organization, positions, junior, professional, senior, lead, director, management
        from analytics_seniority_mix_by_organization where model_version = ${version}
        order by positions desc, organization limit ${ORGANIZATIONS_SHOWN}`,
  );
  return rows.map((r) => ({
    organization: r.organization,
    positions: r.positions,
    // The view has one column per level, named as the level in lower case.
    shares: Object.fromEntries(SENIORITY_CLASSES.map((level) => [level, Number(r[level.toLowerCase()])])),
  }));
}

async function readPromotion(db: Db, version: string): Promise<PromotionRow | null> {
  const [row] = await queryRows<{ profiles: number; transitions: number; promotions: number; promotion_rate: number; promoted_profile_share: number }>(
    db,
    sql`select profiles, transitions, promotions, promotion_rate, promoted_profile_share from promotion_stats where model_version = ${version}`,
  );
  return row
    ? { profiles: row.profiles, transitions: row.transitions, promotions: row.promotions, promotionRate: row.promotion_rate, promotedProfileShare: row.promoted_profile_share }
    : null;
}
