import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { chronologicalOrder, parseMonth } from '../../src/features/months.ts';
import { readModelStatistics, refreshDriftStats } from '../../src/store/distribution-stats.ts';
import type { ProfileMessage } from '../../src/domain/profile.ts';
import { scoreProfiles } from '../../src/pipeline/score.ts';
import { type Database, queryRows } from '../../src/store/db.ts';
import { registerModelVersion, storeDeadLetters, storeScoredProfiles } from '../../src/store/write-results.ts';
import { fixedClassifier } from '../helpers/fixed-classifier.ts';
import { testDatabaseKinds } from '../helpers/databases.ts';

const v1 = fixedClassifier('test-v1', {
  'Senior Software Engineer': ['Senior', 'Information Technology'],
  'Head of Sales': ['Director', 'Sales'],
  Buchhalterin: ['Professional', 'Other'],
});
const v2 = fixedClassifier('test-v2', { 'Senior Software Engineer': ['Lead', 'Information Technology'] });

const alice: ProfileMessage = {
  profileId: 'alice',
  positions: [
    { position: 'Head of Sales', organization: 'ACME', startDate: '2021-01', endDate: null, status: 'ACTIVE' },
    { position: 'Senior Software Engineer', organization: 'ACME', startDate: '2015-01', endDate: '2020-12', status: 'INACTIVE' },
  ],
};
const bob: ProfileMessage = {
  profileId: 'bob',
  positions: [{ position: 'Buchhalterin', organization: 'Nordlicht GmbH', startDate: '2019', endDate: null, status: 'ACTIVE' }],
};
const injected: ProfileMessage = {
  profileId: "x'); DROP TABLE profiles; --",
  positions: [{ position: "'; DELETE FROM predictions; --", organization: '<img src=x onerror=alert(1)>', status: 'UNKNOWN' }],
};

async function counts(database: Database) {
  const rows = await queryRows<{ t: string; n: number }>(database.db, sql`
    select 'profiles' as t, count(*)::int as n from profiles union all
    select 'positions', count(*)::int from positions union all
    select 'predictions', count(*)::int from predictions union all
    select 'career_features', count(*)::int from career_features union all
    select 'dead_letters', count(*)::int from dead_letters`);
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

async function store(database: Database, classifier: typeof v1, profiles: ProfileMessage[]) {
  await registerModelVersion(database.db, { version: classifier.modelVersion, kind: 'test', manifest: {} });
  await storeScoredProfiles(database.db, await scoreProfiles(profiles, classifier, '2024-06'), 'test');
  await refreshDriftStats(database.db, classifier.modelVersion);
}

describe.each(testDatabaseKinds)('storage on $name', (kind) => {
  let database: Database;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ database, dispose } = await kind.open());
  });
  afterAll(async () => dispose());

  it('stores profiles, positions, predictions and career features', async () => {
    await store(database, v1, [alice, bob]);
    expect(await counts(database)).toEqual({ profiles: 2, positions: 3, predictions: 3, career_features: 2, dead_letters: 0 });
    const rows = await queryRows<{ seniority: string; department: string; seniority_source: string }>(
      database.db,
      sql`select seniority, department, seniority_source from predictions where profile_id = 'alice' order by position_index`,
    );
    expect(rows).toEqual([
      { seniority: 'Director', department: 'Sales', seniority_source: 'ensemble' },
      { seniority: 'Senior', department: 'Information Technology', seniority_source: 'ensemble' },
    ]);
    const career = await queryRows<{ current_position_index: number; promotions: number; total: number }>(
      database.db,
      sql`select current_position_index, promotions, (features->>'totalExperienceMonths')::int as total from career_features where profile_id = 'alice'`,
    );
    expect(career).toEqual([{ current_position_index: 0, promotions: 1, total: 72 + 42 }]);
  });

  it('stores nothing twice when the same profiles arrive again', async () => {
    const before = await counts(database);
    await store(database, v1, [alice, bob]);
    await store(database, v1, [bob, alice, bob]);
    expect(await counts(database)).toEqual(before);
  });

  it('keeps predictions of an older model version beside the new ones', async () => {
    await store(database, v2, [alice]);
    const rows = await queryRows<{ model_version: string; seniority: string }>(
      database.db,
      sql`select model_version, seniority from predictions where profile_id = 'alice' and position_index = 1 order by model_version`,
    );
    expect(rows).toEqual([
      { model_version: 'test-v1', seniority: 'Senior' },
      { model_version: 'test-v2', seniority: 'Lead' },
    ]);
  });

  it('replaces positions and drops their predictions when a profile changes', async () => {
    const shorter: ProfileMessage = { profileId: 'alice', positions: [alice.positions[0]!] };
    await store(database, v1, [shorter]);
    const rows = await queryRows<{ n: number; versions: number }>(
      database.db,
      sql`select count(*)::int as n, count(distinct model_version)::int as versions from predictions where profile_id = 'alice'`,
    );
    expect(rows).toEqual([{ n: 1, versions: 1 }]);
    expect((await counts(database)).positions).toBe(2);
  });

  it('stores injection strings verbatim', async () => {
    await store(database, v1, [injected]);
    const rows = await queryRows<{ profile_id: string; title: string; organization: string }>(
      database.db,
      sql`select profile_id, title, organization from positions where profile_id = ${injected.profileId}`,
    );
    expect(rows).toEqual([{ profile_id: injected.profileId, title: injected.positions[0]!.position, organization: '<img src=x onerror=alert(1)>' }]);
    expect((await counts(database)).profiles).toBe(3);
  });

  it('keeps dead letters once per source and place', async () => {
    const letter = { source: 'file:x.ndjson', sourceRef: 'line 3', reason: 'invalid JSON', payload: '{"oops' };
    await storeDeadLetters(database.db, [letter, { ...letter, sourceRef: 'line 4' }]);
    await storeDeadLetters(database.db, [letter]);
    expect((await counts(database)).dead_letters).toBe(2);
  });

  it('computes distribution statistics from the stored predictions', async () => {
    // Stored now under test-v1: alice [Head of Sales], bob [Buchhalterin], injected [unknown title].
    await refreshDriftStats(database.db, 'test-v1');
    const stats = await readModelStatistics(database.db, 'test-v1');
    expect(stats).toMatchObject({ profiles: 3, positions: 3 });
    expect(stats!.shares.department).toEqual([
      { label: 'Other', n: 2, share: 2 / 3 },
      { label: 'Sales', n: 1, share: 1 / 3 },
    ]);
    expect(stats!.seniorityFallbackRate).toBeCloseTo(1 / 3, 6);
    expect(stats!.seniorityMeanConfidence).toBeCloseTo((0.95 + 0.95 + 0.35) / 3, 5);
    // Confidences 0.95, 0.95 → bucket 9; 0.35 → bucket 3.
    expect(stats!.histograms.seniority).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 0, 2]);
    const rows = await queryRows<{ scope_value: string; label: string; n: number }>(database.db, sql`
      select scope_value, label, n from distribution_stats
      where model_version = 'test-v1' and task = 'seniority' and scope = 'organization' order by scope_value collate "C"`);
    expect(rows).toEqual([
      // Grouped by the organization key (text/organization.ts): case, punctuation and legal forms folded.
      { scope_value: 'acme', label: 'Director', n: 1 },
      { scope_value: 'img src x onerror alert 1', label: 'Professional', n: 1 },
      { scope_value: 'nordlicht', label: 'Professional', n: 1 },
    ]);
  });

  it('stores month indexes and the chronological rank as features/months.ts computes them, and 0007 restates them for older rows', async () => {
    const carol: ProfileMessage = {
      profileId: 'carol',
      positions: [
        { position: 'Head of Sales', startDate: '2020', endDate: null, status: 'ACTIVE' },
        { position: 'Buchhalterin', startDate: '2020-01', endDate: '2020-12' }, // same start month: the later one in input is older
        { position: 'Senior Software Engineer', startDate: 'soon', endDate: '2019' },
        { position: 'Head of Sales', startDate: null, endDate: null },
        { position: 'Buchhalterin', startDate: '2016-03', endDate: '2016-13' },
      ],
    };
    await store(database, v1, [carol]);
    const expected = carol.positions.map((p) => ({ start: parseMonth(p.startDate, 'start'), end: parseMonth(p.endDate, 'end') }));
    const order = chronologicalOrder(expected.map((e) => e.start));
    const want = expected.map((e, i) => ({ position_index: i, start_month: e.start, end_month: e.end, chronological_rank: order.indexOf(i) }));
    expect(want.map((w) => w.chronological_rank)).toEqual([2, 1, 4, 3, 0]);
    const stored = () =>
      queryRows(database.db, sql`select position_index, start_month, end_month, chronological_rank from positions where profile_id = 'carol' order by position_index`);
    expect(await stored()).toEqual(want);

    await database.db.execute(sql`update positions set start_month = null, end_month = null, chronological_rank = null where profile_id = 'carol'`);
    const migration = readFileSync(new URL('../../migrations/0007_positions_chronology_backfill.sql', import.meta.url), 'utf8');
    for (const statement of migration.split('--> statement-breakpoint')) await database.db.execute(sql.raw(statement));
    expect(await stored()).toEqual(want);
  });
});
