/**
 * The statistics counters, kept incrementally by every write, must equal a recomputation from the
 * stored rows (`rebuildStatistics`) after any workload: new profiles, the same batch stored again,
 * profiles whose content changed, a second model version written by the backfill over the first,
 * and (on a Postgres server) writers running at the same time on overlapping profiles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Department, Seniority } from '../../src/domain/labels.ts';
import type { ProfileMessage } from '../../src/domain/profile.ts';
import { scoreProfiles } from '../../src/pipeline/score.ts';
import { runBackfill } from '../../src/queues/backfill/backfill.ts';
import { type Database, type Db, queryRows } from '../../src/store/db.ts';
import { counterTableNames, counterValueColumns, rebuildStatistics } from '../../src/store/statistics.ts';
import { inTransaction } from '../../src/store/transaction.ts';
import { registerModelVersion, storeScoredProfiles } from '../../src/store/write-results.ts';
import { testDatabaseKinds } from '../helpers/databases.ts';
import { fixedClassifier } from '../helpers/fixed-classifier.ts';

/** mulberry32: a small seeded generator, so a failing workload can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TITLES: Record<string, [Seniority, Department]> = {
  'Junior Developer': ['Junior', 'Information Technology'],
  'Software Engineer': ['Professional', 'Information Technology'],
  'Senior Consultant': ['Senior', 'Consulting'],
  'Sales Manager': ['Lead', 'Sales'],
  'Head of Marketing': ['Director', 'Marketing'],
  CEO: ['Management', 'Other'],
  Recruiter: ['Professional', 'Human Resources'],
};
const NAMES = [...Object.keys(TITLES), 'Buchhalterin', 'Assistenz'];
const v1 = fixedClassifier('stats-v1', TITLES);
// The second model disagrees on some titles, so a backfill moves counts between labels.
const v2 = fixedClassifier('stats-v2', { ...TITLES, 'Software Engineer': ['Senior', 'Information Technology'], CEO: ['Director', 'Other'] });

function generator(seed: number) {
  const next = random(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const date = (): string | null => {
    const r = next();
    if (r < 0.15) return null;
    const year = 2005 + Math.floor(next() * 20);
    return r < 0.3 ? String(year) : `${year}-${String(1 + Math.floor(next() * 12)).padStart(2, '0')}`;
  };
  const profile = (id: string): ProfileMessage => ({
    profileId: id,
    positions: Array.from({ length: 1 + Math.floor(next() * 4) }, (_, i) => ({
      position: pick(NAMES),
      organization: pick(['ACME', 'Initech', ' Globex ', null, 'Nordlicht GmbH']),
      startDate: date(),
      endDate: i === 0 && next() < 0.6 ? null : date(),
      status: i === 0 ? 'ACTIVE' : pick(['INACTIVE', null] as const),
    })),
  });
  return { next, pick, profile };
}

const COUNTER_TABLES = counterTableNames();

const COUNTS = counterValueColumns();

/** Every counter row that is not all zeros, as sorted JSON lines (bigint comes back as a string from node-postgres). */
async function counters(db: Db): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of COUNTER_TABLES) {
    const rows = await queryRows<Record<string, unknown>>(db, sql.raw(`select * from ${table}`));
    out[table] = rows
      .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, COUNTS.has(k) || k === 'bucket' || k === 'months' ? Number(v) : v])))
      .filter((r) => Object.entries(r).some(([k, v]) => COUNTS.has(k) && v !== 0))
      .map((r) => JSON.stringify(r))
      .sort();
  }
  return out;
}

/**
 * The counter-backed views time to Lead and model agreement (migration 0018) against the same
 * figures computed from every row, as the views did before the counters.
 */
async function expectViewsEqualFullReads(db: Db): Promise<void> {
  const viewLead = await queryRows(db, sql`select * from analytics_time_to_lead order by 1, 2`);
  const fullLead = await queryRows(db, sql`
    select model_version,
           case when grouping(current_department) = 1 then '(all)' else coalesce(current_department, '(none)') end as current_department,
           count(*)::int as profiles, count(months)::int as reached_lead, count(months)::float8 / count(*) as reached_lead_share,
           percentile_cont(0.5) within group (order by months) as median_months,
           percentile_cont(0.25) within group (order by months) as p25_months,
           percentile_cont(0.75) within group (order by months) as p75_months
    from (select model_version, current_department, (features ->> 'monthsToFirstLead')::int as months from career_features) c
    group by grouping sets ((model_version), (model_version, current_department))
    order by 1, 2`);
  expect(viewLead).toEqual(fullLead);
  expect(viewLead.length).toBeGreaterThan(2);
  const viewAgreement = await queryRows(db, sql`select * from analytics_model_agreement order by 1, 2`);
  const fullAgreement = await queryRows(db, sql`
    select a.model_version as model_a, b.model_version as model_b, count(*)::int as positions,
           count(*) filter (where a.seniority = b.seniority)::float8 / count(*) as seniority_agreement,
           count(*) filter (where a.department = b.department)::float8 / count(*) as department_agreement
    from predictions a
    join predictions b on b.profile_id = a.profile_id and b.position_index = a.position_index and b.model_version > a.model_version
    group by 1, 2 order by 1, 2`);
  expect(viewAgreement).toEqual(fullAgreement);
}

/** `pairs`: the workload left positions scored by both versions, so agreement counted something too. */
async function expectIncrementalEqualsRebuild(db: Db, pairs: boolean): Promise<void> {
  const incremental = await counters(db);
  await inTransaction(db, (tx) => rebuildStatistics(tx, null));
  const rebuilt = await counters(db);
  expect(incremental).toEqual(rebuilt);
  // Not an empty comparison: the workload counted something in every table.
  for (const table of COUNTER_TABLES) {
    if (pairs || table !== 'stat_agreement_counts') expect(incremental[table]!.length, table).toBeGreaterThan(0);
  }
}

async function store(db: Db, classifier: typeof v1, profiles: ProfileMessage[]): Promise<void> {
  await storeScoredProfiles(db, await scoreProfiles(profiles, classifier, '2025-06'), 'test');
}

describe.each(testDatabaseKinds)('incremental statistics on $name', (kind) => {
  let database: Database;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ database, dispose } = await kind.open());
    for (const c of [v1, v2]) await registerModelVersion(database.db, { version: c.modelVersion, kind: 'test', manifest: {} });
  });
  afterAll(async () => dispose());

  it.each([1, 2, 3])('equal a rebuild after random batches, re-runs, changed profiles and a backfill (seed %i)', async (seed) => {
    const db = database.db;
    const { next, profile } = generator(seed);
    const ids = Array.from({ length: 60 }, (_, i) => `s${seed}-p${i}`);
    const current = new Map(ids.map((id) => [id, profile(id)]));
    for (let round = 0; round < 8; round++) {
      const batch = ids.filter(() => next() < 0.4).map((id) => {
        // Some profiles come back with other content: their positions and predictions are replaced.
        if (next() < 0.25) current.set(id, profile(id));
        return current.get(id)!;
      });
      await store(db, v1, batch);
      if (next() < 0.5) await store(db, v1, batch); // the same batch again, as a re-delivered job
    }
    await expectIncrementalEqualsRebuild(db, false);

    // The backfill scores the first version's positions with the second, over several batches.
    const result = await runBackfill(db, v2, { batchSize: 7, trigger: 'cli', asOf: '2025-06', sourceModelVersion: v1.modelVersion });
    expect(result.status).toBe('done');
    // Then new content for some profiles stored by the first version drops both versions' rows.
    await store(db, v1, ids.slice(0, 10).map((id) => profile(id)));
    await expectIncrementalEqualsRebuild(db, true);
    await expectViewsEqualFullReads(db);
  });

  it.runIf(kind.name === 'postgres')('equal a rebuild after concurrent writers of overlapping profiles', async () => {
    const db = database.db;
    const { next, profile } = generator(99);
    const ids = Array.from({ length: 40 }, (_, i) => `c-p${i}`);
    for (let wave = 0; wave < 4; wave++) {
      // Four writers at once, each with a random half of the profiles (new content or the same).
      const batches = Array.from({ length: 4 }, () => ids.filter(() => next() < 0.5).map((id) => profile(id)));
      await Promise.all(batches.map((batch) => store(db, next() < 0.5 ? v1 : v2, batch)));
    }
    // The same content stored by both versions at once: positions both scored, counted by one writer.
    const same = ids.slice(0, 20).map((id) => profile(id));
    await Promise.all([store(db, v1, same.slice(0, 12)), store(db, v2, same.slice(5)), store(db, v1, same.slice(8))]);
    await expectIncrementalEqualsRebuild(db, true);
    await expectViewsEqualFullReads(db);
  });

  it('computes the counters once at migration for a database stored before them', async () => {
    const db = database.db;
    const before = await counters(db);
    // As after migrations 0008-0010 on an older database, or 0019: rows stored, no counters yet.
    for (const table of COUNTER_TABLES) await db.execute(sql.raw(`delete from ${table}`));
    await database.migrate();
    expect(await counters(db)).toEqual(before);
  });
});
