import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { storeReferenceDistribution, toShares } from '../../src/store/reference-distribution.ts';
import { type Database, queryRows } from '../../src/store/db.ts';
import { DATASET_MODEL, loadDataset } from '../helpers/career-dataset.ts';
import { testDatabaseKinds } from '../helpers/databases.ts';

const SENIORITY_REFERENCE = { Junior: 0.1, Professional: 0.4, Senior: 0.2, Lead: 0.2, Director: 0.05, Management: 0.05 };
/** The department reference equals the production shares exactly: no drift there. */
const DEPARTMENT_COUNTS = { 'Information Technology': 3, Sales: 2, 'Human Resources': 2, Consulting: 1, Other: 1 };

/** PSI and Jensen-Shannon as documented in sql/refresh_drift_stats.sql, written out independently. */
function psi(p: Record<string, number>, q: Record<string, number>): number {
  const floor = (x: number) => Math.max(x, 1e-4);
  return Object.keys(q).reduce((s, k) => s + (floor(p[k] ?? 0) - floor(q[k]!)) * Math.log(floor(p[k] ?? 0) / floor(q[k]!)), 0);
}
function js(p: Record<string, number>, q: Record<string, number>): number {
  const term = (a: number, b: number) => (a > 0 ? 0.5 * a * Math.log2((2 * a) / (a + b)) : 0);
  return Object.keys(q).reduce((s, k) => s + term(p[k] ?? 0, q[k]!) + term(q[k]!, p[k] ?? 0), 0);
}

describe.each(testDatabaseKinds)('statistics of a hand-built dataset on $name', (kind) => {
  let database: Database;
  let dispose: () => Promise<void>;
  const rows = <T>(query: ReturnType<typeof sql>) => queryRows<T>(database.db, query);

  beforeAll(async () => {
    ({ database, dispose } = await kind.open());
    await storeReferenceDistribution(
      database.db,
      DATASET_MODEL,
      { seniority: toShares('seniority', SENIORITY_REFERENCE), department: toShares('department', DEPARTMENT_COUNTS) },
      'test',
    );
    await loadDataset(database.db, { driftThreshold: 0.2, driftMinPositions: 1 });
  });
  afterAll(async () => dispose());

  const shares = (scope: string, scopeValue: string, task: string) =>
    rows<{ label: string; n: number; share: number }>(sql`
      select label, n, share from distribution_stats
      where model_version = ${DATASET_MODEL} and scope = ${scope} and scope_value = ${scopeValue} and task = ${task}
      order by label`);

  it('counts class shares overall, by organization, by start year and by ingestion day', async () => {
    expect(await shares('overall', '', 'seniority')).toEqual([
      { label: 'Director', n: 1, share: 1 / 9 },
      { label: 'Junior', n: 2, share: 2 / 9 },
      { label: 'Lead', n: 2, share: 2 / 9 },
      { label: 'Professional', n: 3, share: 3 / 9 },
      { label: 'Senior', n: 1, share: 1 / 9 },
    ]);
    expect(await shares('organization', 'acme', 'department')).toEqual([
      { label: 'Human Resources', n: 2, share: 0.5 },
      { label: 'Sales', n: 2, share: 0.5 },
    ]);
    expect(await shares('start_period', '2016', 'seniority')).toEqual([{ label: 'Junior', n: 1, share: 1 }]);
    // 2020-01 (p4, HR Lead) and 2020-03 (p3, Buchhalterin): a period is the start year, months merged.
    expect(await shares('start_period', '2020', 'seniority')).toEqual([
      { label: 'Lead', n: 1, share: 0.5 },
      { label: 'Professional', n: 1, share: 0.5 },
    ]);
    expect(await shares('ingestion_day', '2024-05-02', 'seniority')).toEqual([
      { label: 'Lead', n: 1, share: 0.5 },
      { label: 'Professional', n: 1, share: 0.5 },
    ]);
    const day1 = await shares('ingestion_day', '2024-05-01', 'seniority');
    expect(day1.reduce((n, r) => n + r.n, 0)).toBe(7);
  });

  it('computes fallback rates overall and per ingestion day, and confidence histograms', async () => {
    const fallback = await rows<{ scope_value: string; n: number; fallbacks: number; rate: number }>(sql`
      select scope_value, n, fallbacks, rate from fallback_rates
      where model_version = ${DATASET_MODEL} and task = 'seniority' order by scope, scope_value`);
    expect(fallback).toEqual([
      { scope_value: '2024-05-01', n: 7, fallbacks: 1, rate: 1 / 7 },
      { scope_value: '2024-05-02', n: 2, fallbacks: 0, rate: 0 },
      { scope_value: '', n: 9, fallbacks: 1, rate: 1 / 9 },
    ]);
    const [model] = await rows<{ seniority_fallback_rate: number; department_fallback_rate: number }>(
      sql`select seniority_fallback_rate, department_fallback_rate from model_stats where model_version = ${DATASET_MODEL}`,
    );
    expect(model).toEqual({ seniority_fallback_rate: 1 / 9, department_fallback_rate: 1 / 9 });
    const histogram = await rows<{ task: string; bucket: number; n: number }>(
      sql`select task, bucket, n from confidence_histograms where model_version = ${DATASET_MODEL} order by task, bucket`,
    );
    expect(histogram).toEqual([
      { task: 'department', bucket: 2, n: 1 },
      { task: 'department', bucket: 8, n: 8 },
      { task: 'seniority', bucket: 3, n: 1 },
      { task: 'seniority', bucket: 9, n: 8 },
    ]);
  });

  it('measures drift against the reference distribution and flags it over the threshold', async () => {
    const drift = await rows<{ task: string; scope_value: string; n: number; psi: number; js: number; flagged: boolean; threshold: number }>(sql`
      select task, scope_value, n, psi, js, flagged, threshold from drift_stats
      where model_version = ${DATASET_MODEL} order by task, scope, scope_value`);
    const seniorityOverall = { Junior: 2 / 9, Professional: 3 / 9, Senior: 1 / 9, Lead: 2 / 9, Director: 1 / 9 };
    const seniorityDay2 = { Professional: 0.5, Lead: 0.5 };
    const bySlice = Object.fromEntries(drift.map((d) => [`${d.task} ${d.scope_value || 'overall'}`, d]));
    expect(Object.keys(bySlice).sort()).toEqual([
      'department 2024-05-01',
      'department 2024-05-02',
      'department overall',
      'seniority 2024-05-01',
      'seniority 2024-05-02',
      'seniority overall',
    ]);
    const overall = bySlice['seniority overall']!;
    expect(overall.n).toBe(9);
    expect(overall.psi).toBeCloseTo(psi(seniorityOverall, SENIORITY_REFERENCE), 9);
    expect(overall.js).toBeCloseTo(js(seniorityOverall, SENIORITY_REFERENCE), 9);
    expect(bySlice['seniority 2024-05-02']!.psi).toBeCloseTo(psi(seniorityDay2, SENIORITY_REFERENCE), 9);
    // Management never predicted (reference 5%): the 1e-4 floor alone puts PSI over 0.2.
    expect(overall.psi).toBeGreaterThan(0.2);
    expect(overall.flagged).toBe(true);
    expect(bySlice['department overall']).toMatchObject({ psi: expect.closeTo(0, 12), js: expect.closeTo(0, 12), flagged: false, threshold: 0.2 });
    for (const d of drift) expect(d.flagged).toBe(d.psi > 0.2);
  });

  it('flags no slice smaller than the minimum number of positions', async () => {
    await loadDataset(database.db, { driftThreshold: 0.2, driftMinPositions: 8 });
    const flagged = await rows<{ task: string; scope_value: string; n: number }>(sql`
      select task, scope_value, n from drift_stats where model_version = ${DATASET_MODEL} and flagged order by task, scope_value`);
    // Day 2 (2 positions) and day 1 (7) drift as much as before but are too small to flag.
    expect(flagged).toEqual([{ task: 'seniority', scope_value: '', n: 9 }]);
    await loadDataset(database.db, { driftThreshold: 0.2, driftMinPositions: 1 });
  });

  it('aggregates tenure of completed positions per seniority level', async () => {
    expect(
      await rows(sql`select seniority, n, median_months, p25_months, p75_months from tenure_stats where model_version = ${DATASET_MODEL} order by seniority`),
    ).toEqual([
      { seniority: 'Junior', n: 2, median_months: 33.5, p25_months: 32.25, p75_months: 34.75 },
      { seniority: 'Lead', n: 1, median_months: 36, p25_months: 36, p75_months: 36 },
      { seniority: 'Professional', n: 1, median_months: 12, p25_months: 12, p75_months: 12 },
      { seniority: 'Senior', n: 1, median_months: 42, p25_months: 42, p75_months: 42 },
    ]);
  });

  it('builds the department transition matrix in chronological order, consistent with career features', async () => {
    const matrix = await rows<{ from_label: string; to_label: string; n: number; share: number }>(sql`
      select from_label, to_label, n, share from transition_stats
      where model_version = ${DATASET_MODEL} and task = 'department' order by from_label, to_label`);
    expect(matrix).toEqual([
      { from_label: 'Human Resources', to_label: 'Human Resources', n: 1, share: 1 },
      { from_label: 'Information Technology', to_label: 'Consulting', n: 1, share: 1 / 3 },
      { from_label: 'Information Technology', to_label: 'Information Technology', n: 1, share: 1 / 3 },
      { from_label: 'Information Technology', to_label: 'Sales', n: 1, share: 1 / 3 },
      { from_label: 'Sales', to_label: 'Sales', n: 1, share: 1 },
    ]);
    const [changes] = await rows<{ n: number }>(
      sql`select sum((features ->> 'departmentChanges')::int)::int as n from career_features where model_version = ${DATASET_MODEL}`,
    );
    expect(matrix.filter((m) => m.from_label !== m.to_label).reduce((n, m) => n + m.n, 0)).toBe(changes!.n);
    const seniority = await rows<{ from_label: string; to_label: string; n: number }>(sql`
      select from_label, to_label, n from transition_stats
      where model_version = ${DATASET_MODEL} and task = 'seniority' order by from_label, to_label`);
    expect(seniority).toEqual([
      { from_label: 'Junior', to_label: 'Lead', n: 1 },
      { from_label: 'Junior', to_label: 'Senior', n: 1 },
      { from_label: 'Lead', to_label: 'Director', n: 1 },
      { from_label: 'Professional', to_label: 'Lead', n: 1 },
      { from_label: 'Senior', to_label: 'Professional', n: 1 },
    ]);
  });

  it('computes the promotion rate from the career features', async () => {
    expect(await rows(sql`
      select profiles, transitions, promotions, step_downs, promotion_rate, promoted_profile_share
      from promotion_stats where model_version = ${DATASET_MODEL}`)).toEqual([
      { profiles: 4, transitions: 5, promotions: 4, step_downs: 1, promotion_rate: 0.8, promoted_profile_share: 0.75 },
    ]);
  });

  it('refreshing again changes no statistic', async () => {
    const snapshot = () =>
      rows(sql`
        select 'd' as t, task, scope, scope_value, label, n, share::text as v from distribution_stats union all
        select 'x', task, scope, scope_value, '', n, psi::text from drift_stats union all
        select 't', task, from_label, to_label, '', n, share::text from transition_stats
        order by 1, 2, 3, 4, 5`);
    const before = await snapshot();
    await loadDataset(database.db, { driftThreshold: 0.2, driftMinPositions: 1 });
    expect(await snapshot()).toEqual(before);
  });
});
