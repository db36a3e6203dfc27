import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { loadClassifier } from '../../src/classify/load-classifier.ts';
import type { Position, ProfileMessage } from '../../src/domain/profile.ts';
import { runBackfill } from '../../src/queues/backfill/backfill.ts';
import { logger } from '../../src/logger.ts';
import { scoreProfiles } from '../../src/pipeline/score.ts';
import { ConcurrentBackfillError, commitRangeBatch, createRun, planRanges, readRanges } from '../../src/store/backfill-store.ts';
import { type Database, type Db, queryRows } from '../../src/store/db.ts';
import { registerModelVersion, storeScoredProfiles } from '../../src/store/write-results.ts';
import { datasetProfiles } from '../helpers/career-dataset.ts';
import { testDatabaseKinds } from '../helpers/databases.ts';
import { fixedClassifier } from '../helpers/fixed-classifier.ts';

logger.level = process.env.LOG_LEVEL ?? 'warn';

const oldV1 = fixedClassifier('old-v1', { 'Sales Manager': ['Lead', 'Sales'], 'Junior Developer': ['Junior', 'Information Technology'] });
const oldV0 = fixedClassifier('old-v0', {});
const newV2 = fixedClassifier('new-v2', { 'Sales Manager': ['Senior', 'Sales'], 'Junior Developer': ['Junior', 'Information Technology'] });

/** Profiles q1, q2 (3 positions) that only old-v0 scored. */
const olderProfiles: ProfileMessage[] = [
  { profileId: 'q1', positions: [{ position: 'Sales Manager' }, { position: 'Junior Developer' }] },
  { profileId: 'q2', positions: [{ position: 'Recruiter', organization: 'ACME' }] },
];

async function store(db: Db, classifier: typeof oldV1, profiles: ProfileMessage[]) {
  await registerModelVersion(db, { version: classifier.modelVersion, kind: 'test', manifest: {} });
  await storeScoredProfiles(db, await scoreProfiles(profiles, classifier, '2024-06'), 'test');
}

async function predictionCounts(db: Db): Promise<Record<string, number>> {
  const rows = await queryRows<{ v: string; n: number }>(db, sql`select model_version as v, count(*)::int as n from predictions group by 1 order by 1`);
  return Object.fromEntries(rows.map((r) => [r.v, r.n]));
}

const options = { batchSize: 2, trigger: 'cli', asOf: '2024-06' } as const;

describe.each(testDatabaseKinds)('backfill on $name', (kind) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let db: Db;

  beforeAll(async () => {
    ({ database, dispose } = await kind.open());
    db = database.db;
    await store(db, oldV1, datasetProfiles); // 4 profiles, 9 positions
    await store(db, oldV0, olderProfiles); // 2 profiles, 3 positions
  });
  afterAll(async () => dispose());

  it('re-scores only what --model names, keeping the old predictions', async () => {
    const result = await runBackfill(db, newV2, { ...options, sourceModelVersion: 'old-v0' });
    expect(result).toMatchObject({ status: 'done', resumed: false, rowsTotal: 3, rowsScored: 3, profilesScored: 2, rowsThisCall: 3 });
    expect(await predictionCounts(db)).toEqual({ 'new-v2': 3, 'old-v0': 3, 'old-v1': 9 });
  });

  it('resumes a run that failed halfway and finishes with exact counts', async () => {
    let batches = 0;
    const crash = runBackfill(db, newV2, {
      ...options,
      onProgress: () => {
        // The start report, then one committed batch of 2 profiles: fail as a crash would.
        if (++batches === 2) throw new Error('simulated crash after the first batch');
      },
    });
    await expect(crash).rejects.toThrow('simulated crash');
    const [failed] = await queryRows<{ status: string; rows_scored: number; rows_total: number; error: string }>(
      db,
      sql`select status, rows_scored, rows_total, error from backfill_runs order by id desc limit 1`,
    );
    // p1 (3 positions) and p2 (3) committed; p3, p4 pending.
    expect(failed).toEqual({ status: 'failed', rows_scored: 6, rows_total: 9, error: 'simulated crash after the first batch' });
    expect((await predictionCounts(db))['new-v2']).toBe(3 + 6);

    const resumed = await runBackfill(db, newV2, options);
    expect(resumed).toMatchObject({ status: 'done', resumed: true, rowsTotal: 9, rowsScored: 9, profilesScored: 4, rowsThisCall: 3 });
    expect(await predictionCounts(db)).toEqual({ 'new-v2': 12, 'old-v0': 3, 'old-v1': 9 });
    const [features] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from career_features where model_version = 'new-v2'`);
    expect(features!.n).toBe(6);
  });

  it('stores the new labels and refreshes the statistics of the new version', async () => {
    const [row] = await queryRows<{ seniority: string }>(
      db,
      sql`select seniority from predictions where profile_id = 'p1' and position_index = 1 and model_version = 'new-v2'`,
    );
    expect(row!.seniority).toBe('Senior');
    const [stats] = await queryRows<{ positions: number }>(db, sql`select positions from model_stats where model_version = 'new-v2'`);
    expect(stats!.positions).toBe(12);
  });

  it('finds nothing to do the second time (idempotent) and records an empty run', async () => {
    const before = await predictionCounts(db);
    const again = await runBackfill(db, newV2, options);
    expect(again).toMatchObject({ status: 'done', resumed: false, rowsTotal: 0, rowsScored: 0, rowsThisCall: 0 });
    expect(await predictionCounts(db)).toEqual(before);
  });

  it('re-scores with --since only the profiles stored since then', async () => {
    const newV3 = fixedClassifier('new-v3', {});
    await db.execute(sql`update profiles set updated_at = '2020-01-01T00:00:00Z'`);
    await db.execute(sql`update profiles set updated_at = '2024-05-01T00:00:00Z' where profile_id = 'p4'`);
    const result = await runBackfill(db, newV3, { ...options, since: new Date('2024-01-01T00:00:00Z') });
    expect(result).toMatchObject({ rowsTotal: 2, rowsScored: 2, profilesScored: 1 });
  });

  it('refuses to commit a batch when another process advanced the same range', async () => {
    const filter = { targetModelVersion: 'new-v4', sourceModelVersion: null, since: null };
    await registerModelVersion(db, { version: 'new-v4', kind: 'test', manifest: {} });
    const run = await createRun(db, filter, 'cli');
    const [range] = await planRanges(db, run, 1000);
    const scored = await scoreProfiles(datasetProfiles.slice(0, 1), fixedClassifier('new-v4', {}), '2024-06');
    await commitRangeBatch(db, range!, '', scored, 0);
    await expect(commitRangeBatch(db, range!, '', scored, 0)).rejects.toBeInstanceOf(ConcurrentBackfillError);
    const [n] = await queryRows<{ rows: number }>(db, sql`select rows_scored as rows from backfill_runs where id = ${run.id}`);
    expect(n!.rows).toBe(3);
    expect((await readRanges(db, run.id))[0]).toMatchObject({ cursor: 'p1', rowsScored: 3, profilesScored: 1, status: 'pending' });
  });

  it('splits a run into profile-id ranges that cover every profile once, and scores them all', async () => {
    const newV5 = fixedClassifier('new-v5', {});
    // 6 profiles (p1-p4, q1, q2) in ranges of 4: (, p4] and (p4, ) — the last one open-ended.
    const result = await runBackfill(db, newV5, { ...options, profilesPerRange: 4 });
    expect(result).toMatchObject({ status: 'done', rowsTotal: 12, rowsScored: 12, profilesScored: 6 });
    const ranges = await readRanges(db, result.runId);
    expect(ranges.map((r) => [r.afterId, r.untilId, r.cursor, r.rowsScored, r.status])).toEqual([
      ['', 'p4', 'p4', 9, 'done'],
      ['p4', null, 'q2', 3, 'done'],
    ]);
    expect((await predictionCounts(db))['new-v5']).toBe(12);
    // Planning again returns the same ranges: two planners of one run agree.
    const run = { ...(await createRun(db, { targetModelVersion: 'new-v5', sourceModelVersion: null, since: null }, 'cli')) };
    expect(await planRanges(db, run, 4)).toEqual(await planRanges(db, run, 2));
  });
});

// ---------------------------------------------------------------------------------------------
// A real crash: the CLI, SIGKILLed between batches, then started again.

const postgres = testDatabaseKinds.find((k) => k.name === 'postgres');
const root = new URL('../../', import.meta.url).pathname;
const examples = JSON.parse(readFileSync(new URL('../../examples/profiles.json', import.meta.url), 'utf8')) as Position[][];

function backfillProcess(url: string): { child: ChildProcess; stdout: Promise<string>; exit: Promise<number | null> } {
  const child = spawn('node', ['bin/cv-pipeline.js', 'backfill', '--batch-size', '5', '--as-of', '2024-06', '--json'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stdout = exit.then((code) => (code === 0 ? out : Promise.reject(new Error(`backfill exited ${code}: ${err}`))));
  stdout.catch(() => {}); // the killed process's output is never read
  return { child, exit, stdout };
}

describe.skipIf(!postgres)('backfill killed halfway (SIGKILL, Postgres server)', () => {
  let database: Database;
  let url: string;
  let dispose: () => Promise<void>;
  let total = 0;
  const profiles: ProfileMessage[] = [];

  beforeAll(async () => {
    ({ database, url, dispose } = (await postgres!.open()) as { database: Database; url: string; dispose: () => Promise<void> });
    for (let copy = 0; copy < 8; copy++) examples.forEach((positions, i) => profiles.push({ profileId: `k${copy}-${String(i).padStart(3, '0')}`, positions }));
    total = profiles.reduce((n, p) => n + p.positions.length, 0);
    await store(database.db, fixedClassifier('old-kill', {}), profiles);
  });
  afterAll(async () => dispose());

  it('resumes from the cursor and ends with every position scored exactly once', { timeout: 120_000 }, async () => {
    const target = (await loadClassifier()).modelVersion;
    const count = async () => {
      const [r] = await queryRows<{ status: string; rows_scored: number; rows_total: number; profiles_scored: number; predictions: number; features: number }>(
        database.db,
        sql`select r.status, r.rows_scored, r.rows_total, r.profiles_scored,
                   (select count(*)::int from predictions where model_version = ${target}) as predictions,
                   (select count(*)::int from career_features where model_version = ${target}) as features
            from backfill_runs r order by r.id desc limit 1`,
      );
      return r;
    };

    const first = backfillProcess(url);
    const deadline = Date.now() + 60_000;
    let seen = await count();
    // Kill it once about half is committed (the rest takes ~a second more; polling is every 10 ms).
    while (!(seen && seen.rows_scored >= total / 2) && Date.now() < deadline && first.child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 10));
      seen = await count();
    }
    first.child.kill('SIGKILL');
    await first.exit;
    const atKill = (await count())!;
    expect(atKill.status).toBe('running');
    expect(atKill.rows_total).toBe(total);
    expect(atKill.rows_scored).toBeGreaterThanOrEqual(total / 2);
    expect(atKill.rows_scored).toBeLessThan(total);
    // Cursor, counts and rows commit together: what the run says is exactly what is stored.
    expect(atKill.predictions).toBe(atKill.rows_scored);
    expect(atKill.features).toBe(atKill.profiles_scored);

    const second = backfillProcess(url);
    const result = JSON.parse(await second.stdout);
    expect(result).toMatchObject({ status: 'done', resumed: true, rowsTotal: total, rowsScored: total, profilesScored: profiles.length });
    expect(result.rowsThisCall).toBe(total - atKill.rows_scored);
    expect(await count()).toMatchObject({ status: 'done', rows_scored: total, predictions: total, features: profiles.length });
    expect(await predictionCounts(database.db)).toEqual({ 'old-kill': total, [target]: total });
    const [runs] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from backfill_runs`);
    expect(runs!.n).toBe(1);
  });
});
