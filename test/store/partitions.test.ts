/**
 * Predictions and career features are partitioned by model version (migration 0016): each version's
 * rows live in its own partition, created when the version is registered; reads of one version
 * touch only its partition; retiring a version drops its partitions and its statistics and leaves
 * every other version as it was; a database stored before the migration keeps every row.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { ProfileMessage } from '../../src/domain/profile.ts';
import { scoreProfiles } from '../../src/pipeline/score.ts';
import { runBackfill } from '../../src/queues/backfill/backfill.ts';
import { type Database, type Db, queryRows } from '../../src/store/db.ts';
import { listStoredVersions, retireModelVersion } from '../../src/store/model-retirement.ts';
import { counterTableNames, rebuildStatistics } from '../../src/store/statistics.ts';
import { inTransaction } from '../../src/store/transaction.ts';
import { registerModelVersion, storeScoredProfiles } from '../../src/store/write-results.ts';
import { testDatabaseKinds } from '../helpers/databases.ts';
import { fixedClassifier } from '../helpers/fixed-classifier.ts';

const v1 = fixedClassifier('part-v1', { 'Sales Manager': ['Lead', 'Sales'], Recruiter: ['Professional', 'Human Resources'] });
const v2 = fixedClassifier('part-v2', { 'Sales Manager': ['Director', 'Sales'], Recruiter: ['Junior', 'Human Resources'] });

const profiles: ProfileMessage[] = Array.from({ length: 12 }, (_, i) => ({
  profileId: `pp${i}`,
  positions: [
    { position: 'Sales Manager', organization: `Org ${i % 3}`, startDate: '2021-03', endDate: null, status: 'ACTIVE' },
    { position: 'Recruiter', organization: 'Org 9', startDate: '2018-01', endDate: '2021-02', status: 'INACTIVE' },
  ],
}));

async function store(db: Db, classifier: typeof v1, batch: ProfileMessage[]): Promise<void> {
  await storeScoredProfiles(db, await scoreProfiles(batch, classifier, '2025-06'), 'test');
}

/** Rows per (table, partition, model version) of the partitioned tables. */
async function placement(db: Db): Promise<string[]> {
  const rows = await queryRows<{ line: string }>(
    db,
    sql`select 'predictions ' || tableoid::regclass::text || ' ' || model_version || ' ' || count(*) as line
          from predictions group by tableoid, model_version
        union all
        select 'career_features ' || tableoid::regclass::text || ' ' || model_version || ' ' || count(*)
          from career_features group by tableoid, model_version
        order by 1`,
  );
  return rows.map((r) => r.line);
}

/** The statistics counters of one version, as sorted JSON lines. */
async function countersOf(db: Db, version: string): Promise<string[]> {
  const lines: string[] = [];
  for (const table of counterTableNames()) {
    const rows = await queryRows<Record<string, unknown>>(db, sql`select * from ${sql.raw(table)} where model_version = ${version}`);
    lines.push(...rows.map((r) => `${table} ${JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])))}`));
  }
  return lines.sort();
}

describe.each(testDatabaseKinds)('partitions by model version on $name', (kind) => {
  let database: Database;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ database, dispose } = await kind.open());
  });
  afterAll(async () => dispose());

  it('keeps each version in its own partition, reads one version from its partition, and retires a version whole', async () => {
    const db = database.db;
    // Registered concurrently, as workers starting together do; again later, as every start does.
    await Promise.all([v1, v2, v1, v2].map((c) => registerModelVersion(db, { version: c.modelVersion, kind: 'test', manifest: {} })));
    await registerModelVersion(db, { version: v1.modelVersion, kind: 'test', manifest: {} });
    await store(db, v1, profiles);
    expect((await runBackfill(db, v2, { batchSize: 5, trigger: 'cli', asOf: '2025-06' })).status).toBe('done');

    const lines = await placement(db);
    expect(lines.map((l) => l.replace(/_[0-9a-f]{8} /, '_# '))).toEqual([
      'career_features career_features_part_v1_# part-v1 12',
      'career_features career_features_part_v2_# part-v2 12',
      'predictions predictions_part_v1_# part-v1 24',
      'predictions predictions_part_v2_# part-v2 24',
    ]);

    const [plan] = await queryRows<{ 'QUERY PLAN': unknown }>(db, sql`explain (format json) select count(*) from predictions where model_version = ${'part-v2'}`);
    const text = JSON.stringify(plan!['QUERY PLAN']);
    expect(text).toContain('predictions_part_v2_');
    expect(text).not.toContain('predictions_part_v1_');

    // The pair counter (agreement) goes with the retired version; the rest of v2's stays.
    const ownCounters = async () => (await countersOf(db, v2.modelVersion)).filter((l) => !l.startsWith('stat_agreement_counts'));
    const v2Counters = await ownCounters();
    expect(v2Counters.length).toBeGreaterThan(0);
    expect(await countersOf(db, v2.modelVersion)).toContainEqual(expect.stringMatching(/^stat_agreement_counts .*"positions":"24"/));
    const listed = await listStoredVersions(db);
    expect(listed.map((v) => [v.version, v.positions, v.profiles])).toEqual([
      [v2.modelVersion, 24, 12],
      [v1.modelVersion, 24, 12],
    ]);
    expect(listed.every((v) => v.bytes > 0)).toBe(true);

    expect(await retireModelVersion(db, v1.modelVersion)).toEqual({ version: v1.modelVersion, positions: 24, profiles: 12 });
    expect((await placement(db)).map((l) => l.split(' ')[2])).toEqual(['part-v2', 'part-v2']);
    const [left] = await queryRows<{ parts: number; versions: number; counters: number }>(
      db,
      sql`select (select count(*) from pg_inherits where inhparent in ('predictions'::regclass, 'career_features'::regclass))::int as parts,
                 (select count(*) from model_versions)::int as versions,
                 (select count(*) from stat_class_counts where model_version = ${v1.modelVersion})::int as counters`,
    );
    expect(left).toEqual({ parts: 2, versions: 1, counters: 0 });
    // The other version is untouched, and its counters still equal a rebuild.
    expect(await countersOf(db, v2.modelVersion)).toEqual(v2Counters);
    await inTransaction(db, (tx) => rebuildStatistics(tx, v2.modelVersion));
    expect(await countersOf(db, v2.modelVersion)).toEqual(v2Counters);
    expect(await ownCounters()).toEqual(v2Counters);

    await expect(retireModelVersion(db, v1.modelVersion)).rejects.toThrow(/no model version part-v1/);
    // A retired version can come back: registering it again gives it new partitions.
    await registerModelVersion(db, { version: v1.modelVersion, kind: 'test', manifest: {} });
    await store(db, v1, profiles.slice(0, 2));
    expect((await placement(db)).filter((l) => l.includes(' part-v1 '))).toHaveLength(2);
  });

  it('refuses to retire a version a running backfill uses', async () => {
    const db = database.db;
    await registerModelVersion(db, { version: 'part-v3', kind: 'test', manifest: {} });
    await db.execute(sql`insert into backfill_runs (target_model_version, status) values ('part-v3', 'running')`);
    await expect(retireModelVersion(db, 'part-v3')).rejects.toThrow(/backfill run \d+ still uses part-v3/);
  });

  it('refuses a row of a version whose partitions were never made', async () => {
    const db = database.db;
    await db.execute(sql`insert into model_versions (version, kind, manifest) values ('unregistered', 'test', '{}')`);
    const error = (await store(db, fixedClassifier('unregistered', {}), profiles.slice(0, 1)).catch((e: unknown) => e)) as Error & { cause?: Error };
    expect(String(error?.cause?.message ?? error)).toMatch(/no partition of relation "predictions" found for row/);
  });
});

describe.each(testDatabaseKinds)('migration 0016 on $name', (kind) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let before: string;
  beforeAll(async () => {
    ({ database, dispose } = await kind.open(false));
    // The migrations up to 0015, as an older release applied them.
    before = mkdtempSync(join(tmpdir(), 'cv-migrations-'));
    cpSync(new URL('../../migrations', import.meta.url), before, { recursive: true });
    const journalFile = join(before, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: { idx: number }[] };
    journal.entries = journal.entries.filter((e) => e.idx <= 15);
    writeFileSync(journalFile, JSON.stringify(journal));
    await migrate(database.db as unknown as NodePgDatabase, { migrationsFolder: before });
  });
  afterAll(async () => {
    await dispose();
    rmSync(before, { recursive: true, force: true });
  });

  it('moves every stored prediction and career feature into its version partition', async () => {
    const db = database.db;
    // Rows stored by the current writer in a migrated database, copied as they are into the old
    // schema (these tables' columns did not change since 0015).
    const source = await testDatabaseKinds[0]!.open();
    const rows = async (from: Db) =>
      queryRows<Record<string, unknown>>(
        from,
        sql`select p.*, c.features from predictions p join career_features c using (profile_id, model_version)
            order by profile_id, position_index, model_version`,
      );
    try {
      for (const c of [v1, v2]) await registerModelVersion(source.database.db, { version: c.modelVersion, kind: 'test', manifest: {} });
      await store(source.database.db, v1, profiles);
      await store(source.database.db, v2, profiles.slice(0, 5));
      for (const table of ['model_versions', 'profiles', 'positions', 'predictions', 'career_features']) {
        const [copy] = await queryRows<{ rows: unknown }>(source.database.db, sql.raw(`select coalesce(json_agg(t), '[]'::json) as rows from ${table} t`));
        await db.execute(sql`insert into ${sql.raw(table)} select * from json_populate_recordset(null::${sql.raw(table)}, ${JSON.stringify(copy!.rows)}::json)`);
      }
      const stored = await rows(source.database.db);
      const counters = [await countersOf(source.database.db, v1.modelVersion), await countersOf(source.database.db, v2.modelVersion)];
      expect(stored).toHaveLength(34);
      expect(await rows(db)).toEqual(stored);

      await database.migrate();

      expect(await rows(db)).toEqual(stored);
      // Computed once after migrating, as for any database stored before its counters.
      expect([await countersOf(db, v1.modelVersion), await countersOf(db, v2.modelVersion)]).toEqual(counters);
    } finally {
      await source.dispose();
    }
    const lines = await placement(db);
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).toMatch(/^(predictions|career_features) \1_part_v[12]_[0-9a-f]{8} part-v[12] \d+$/);
    // The views over the moved tables are back and readable by the analysts' role.
    const [agreement] = await queryRows<{ positions: number }>(db, sql`select positions from analytics_model_agreement`);
    expect(agreement?.positions).toBe(10);
    const [grants] = await queryRows<{ ok: boolean }>(
      db,
      sql`select bool_and(has_table_privilege('cv_analytics', v, 'select')) as ok
          from unnest(array['analytics_current_predictions', 'analytics_model_agreement', 'analytics_time_to_lead', 'predictions', 'career_features']) v`,
    );
    expect(grants?.ok).toBe(true);
  });
});
