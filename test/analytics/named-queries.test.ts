import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { findNamedQuery, listNamedQueries, parseQueryFile, runNamedQuery } from '../../src/reporting/named-queries.ts';
import { referenceFromAnnotated, referenceFromManifest, storeReferenceDistribution, toShares } from '../../src/store/reference-distribution.ts';
import { bindParameters, parameterNames } from '../../src/store/sql-file.ts';
import { type Database, queryRows } from '../../src/store/db.ts';
import { DATASET_MODEL, loadDataset } from '../helpers/career-dataset.ts';
import { testDatabaseKinds } from '../helpers/databases.ts';

const DOCUMENTED = [
  'class-shares',
  'department-transitions',
  'drift-over-time',
  'model-agreement',
  'promotion-rate',
  'seniority-mix-by-organization',
  'tenure-by-seniority',
  'time-to-lead',
];

describe('named analytics queries (files)', () => {
  it('lists every query of sql/analytics with the description from its header', () => {
    const queries = listNamedQueries();
    expect(queries.map((q) => q.name)).toEqual(DOCUMENTED);
    for (const q of queries) {
      expect(q.description.length).toBeGreaterThan(30);
      expect(q.parameters).toEqual(['model_version']);
    }
  });

  it('names the known queries when asked for an unknown one (no path tricks)', () => {
    expect(() => findNamedQuery('../refresh_drift_stats')).toThrow(/no analytics query named '..\/refresh_drift_stats'; known: class-shares/);
  });

  it('refuses a file with more than one statement', () => {
    expect(() => parseQueryFile('two', '-- two\nselect 1;\nselect 2;\n')).toThrow(/exactly one statement, not 2/);
  });

  it('binds named parameters as parameters and keeps :: casts', () => {
    expect(parameterNames('select :a::text, :b, :a')).toEqual(['a', 'b']);
    expect(() => bindParameters('select :missing', {})).toThrow(':missing has no value');
  });
});

describe('reference distributions', () => {
  it('normalizes counts over the full class list and rejects unknown classes', () => {
    expect(toShares('seniority', { Junior: 1, Lead: 3 })).toEqual({ Junior: 0.25, Professional: 0, Senior: 0, Lead: 0.75, Director: 0, Management: 0 });
    expect(() => toShares('seniority', { Intern: 1 })).toThrow('unknown classes Intern');
    expect(() => toShares('department', {})).toThrow('empty');
  });

  it('reads training.classDistribution from a manifest, and nothing from one without it', () => {
    expect(referenceFromManifest({ training: { classDistribution: { department: { Sales: 1, Other: 1 } } } })).toEqual({
      department: expect.objectContaining({ Sales: 0.5, Other: 0.5, Marketing: 0 }),
    });
    expect(referenceFromManifest({ training: { rows: { 'cv-dev': 1390 } } })).toBeNull();
    expect(referenceFromManifest(null)).toBeNull();
  });

  it('counts the labels of annotated CVs', () => {
    const ref = referenceFromAnnotated([[{ position: 'a', seniority: 'Lead', department: 'Sales' }, { position: 'b', seniority: 'Junior', department: 'Sales' }]]);
    expect(ref.seniority).toMatchObject({ Lead: 0.5, Junior: 0.5 });
    expect(ref.department).toMatchObject({ Sales: 1 });
  });
});

describe.each(testDatabaseKinds)('named analytics queries on $name', (kind) => {
  let database: Database;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ database, dispose } = await kind.open());
    await storeReferenceDistribution(database.db, DATASET_MODEL, { seniority: toShares('seniority', { Professional: 1, Lead: 1 }) }, 'test');
    await loadDataset(database.db);
  });
  afterAll(async () => dispose());

  it.each(DOCUMENTED)('%s runs read-only and returns rows', async (name) => {
    const result = await runNamedQuery(database.db, findNamedQuery(name));
    expect(result.columns.length).toBeGreaterThan(2);
    // One model version scored nothing twice, so no pair of versions to compare yet.
    if (name !== 'model-agreement') expect(result.rows.length).toBeGreaterThan(0);
  });

  it('answers with the database numbers (seniority mix, time to Lead, drift)', async () => {
    const mix = await runNamedQuery(database.db, findNamedQuery('seniority-mix-by-organization'));
    expect(mix.rows[0]).toMatchObject({ organization: 'acme', positions: 4, lead: 0.5, director: 0.25, professional: 0.25 });
    const lead = await runNamedQuery(database.db, findNamedQuery('time-to-lead'));
    // p1 reaches Lead 31 months after its first start (2015-06 → 2018-01), p4 after 12; p2, p3 never.
    expect(lead.rows[0]).toMatchObject({ current_department: '(all)', profiles: 4, reached_lead: 2, median_months: 21.5 });
    const drift = await runNamedQuery(database.db, findNamedQuery('drift-over-time'), { modelVersion: DATASET_MODEL });
    expect(drift.rows.map((r) => [r.day, r.task])).toEqual([['2024-05-01', 'seniority'], ['2024-05-02', 'seniority']]);
    expect(drift.rows[1]).toMatchObject({ positions: 2, psi: expect.closeTo(0, 12), flagged: false, fallback_rate: 0 });
  });

  it('runs as the read-only role cv_analytics, which may read but never write', async () => {
    const role = await runNamedQuery(database.db, parseQueryFile('whoami', 'select current_user as who, :model_version::text as m, 1 as one;'));
    expect(role.rows).toEqual([{ who: 'cv_analytics', m: null, one: 1 }]);
    const denied = await database.db
      .transaction(async (tx) => {
        await tx.execute(sql`set local role cv_analytics`);
        await tx.execute(sql`delete from predictions`);
      })
      .then(() => 'deleted', (err: Error) => String((err.cause as Error | undefined)?.message ?? err.message));
    expect(denied).toMatch(/permission denied for table predictions/);
    const [{ n }] = (await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from predictions`)) as [{ n: number }];
    expect(n).toBe(9);
  });

  it('rejects a query that tries to write (read-only transaction)', async () => {
    await expect(runNamedQuery(database.db, parseQueryFile('evil', 'delete from predictions where :model_version::text is null returning 1;'))).rejects.toThrow(
      /^analytics query evil failed: (cannot execute DELETE in a read-only transaction|permission denied for table predictions)$/,
    );
  });
});

/**
 * READ_DATABASE_URL: the commands that only read answer from a replica, which they must not
 * migrate. A database made read-only for every new session stands in for a hot standby here.
 */
describe.each(testDatabaseKinds.filter((k) => k.name === 'postgres'))('analytics from a read replica on $name', (kind) => {
  let url: string;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    let database: Database;
    ({ database, url, dispose } = (await kind.open()) as { database: Database; url: string; dispose: () => Promise<void> });
    await loadDataset(database.db);
    await database.db.execute(sql.raw(`alter database ${new URL(url).pathname.slice(1)} set default_transaction_read_only = on`));
  });
  afterAll(async () => dispose());

  const analytics = (env: Record<string, string>) =>
    promisify(execFile)('node', ['bin/cv-pipeline.js', 'analytics', 'class-shares', '--json'], {
      cwd: new URL('../../', import.meta.url).pathname,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    }).then(({ stdout }) => JSON.parse(stdout) as { rows: unknown[] }, (err: { stderr: string }) => err.stderr);

  it('answers from READ_DATABASE_URL without migrating it, where the writers\' path is refused', async () => {
    const answer = await analytics({ DATABASE_URL: url, READ_DATABASE_URL: url });
    expect(answer).toMatchObject({ query: 'class-shares', rows: expect.any(Array) });
    expect((answer as { rows: unknown[] }).rows.length).toBeGreaterThan(0);
    // Without it the command migrates DATABASE_URL first, which a replica refuses.
    expect(await analytics({ DATABASE_URL: url })).toMatch(/read-only transaction/);
  }, 60_000);
});
