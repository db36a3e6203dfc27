/**
 * The reads behind a page view, the metrics scrape and the named analytics queries must not read
 * whole the tables that grow with the stream (predictions, positions, profiles, career features):
 * they read the statistics counters, and indexes with a condition. A small test database makes
 * sequential scans the cheapest plan whatever the indexes, so plans are asked for with sequential
 * scans priced out (`enable_seqscan = off`): a whole-table read left in the plan is one no index
 * condition can replace.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { type Database, type Db, queryRows } from '../../src/store/db.ts';
import { SQL_DIR, bindParameters, readStatements } from '../../src/store/sql-file.ts';
import { inTransaction } from '../../src/store/transaction.ts';
import { DATASET_MODEL, loadDataset } from '../helpers/career-dataset.ts';
import { testDatabaseKinds } from '../helpers/databases.ts';

const GROWING = new Set(['predictions', 'positions', 'profiles', 'career_features']);

const files = (dir: string) =>
  readdirSync(new URL(`${dir}/`, SQL_DIR))
    .filter((f) => f.endsWith('.sql'))
    .map((f) => `${dir}/${f}`);
const HOT = [...files('dashboard'), ...files('metrics'), ...files('analytics')];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

/**
 * Tables a plan reads whole: a sequential scan, or an index walked from end to end (no index
 * condition), which is what the planner picks instead when sequential scans are priced out.
 */
function fullReads(node: PlanNode): string[] {
  const type = node['Node Type'];
  const children = node.Plans ?? [];
  const whole =
    type === 'Seq Scan' ||
    ((type === 'Index Scan' || type === 'Index Only Scan') && !node['Index Cond']) ||
    (type === 'Bitmap Heap Scan' && children.some((c) => c['Node Type'] === 'Bitmap Index Scan' && !c['Index Cond']));
  const own = whole && node['Relation Name'] ? [node['Relation Name']] : [];
  return [...own, ...children.flatMap(fullReads)];
}

async function scannedTables(db: Db, file: string, params: Record<string, unknown> = { model_version: DATASET_MODEL, limit: 10 }): Promise<string[]> {
  const [statement] = readStatements(file);
  const bound = bindParameters(`EXPLAIN (FORMAT JSON) ${statement}`, params);
  return inTransaction(db, async (tx) => {
    await tx.execute(sql`set local enable_seqscan = off`);
    const [row] = await queryRows<{ 'QUERY PLAN': unknown }>(tx, bound);
    const plan = row!['QUERY PLAN'];
    const parsed = (typeof plan === 'string' ? JSON.parse(plan) : plan) as { Plan: PlanNode }[];
    // A partition (predictions and career features have one per model version) counts as its table.
    const parents = await queryRows<{ child: string; parent: string }>(
      tx,
      sql`select inhrelid::regclass::text as child, inhparent::regclass::text as parent from pg_inherits`,
    );
    const parentOf = new Map(parents.map((p) => [p.child, p.parent]));
    return fullReads(parsed[0]!.Plan).map((t) => parentOf.get(t) ?? t);
  });
}

describe.each(testDatabaseKinds)('query plans on $name', (kind) => {
  let database: Database;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ database, dispose } = await kind.open());
    await loadDataset(database.db);
  });
  afterAll(async () => dispose());

  it('covers the page, the metrics and the named queries', () => {
    expect(HOT).toContain('dashboard/unsure-positions.sql');
    expect(HOT).toContain('analytics/department-transitions.sql');
    expect(HOT.length).toBeGreaterThan(12);
  });

  it.each(HOT)('%s reads no growing table whole', async (file) => {
    const scanned = await scannedTables(database.db, file);
    expect(scanned.filter((t) => GROWING.has(t))).toEqual([]);
  });

  // What every stored batch runs twice (statistics.ts): its cost must follow the batch's profiles.
  it.each(files('stats'))('%s, for a batch of profiles, reads no growing table whole', async (file) => {
    const scanned = await scannedTables(database.db, file, { profile_ids: ['p1', 'p4'], model_version: null });
    expect(scanned.filter((t) => GROWING.has(t))).toEqual([]);
  });

  it('sees a whole-table read where there is one (the check is not blind)', async () => {
    // A counter's query for the repair (no profile filter) reads every row by design.
    expect(await scannedTables(database.db, 'stats/agreement-counts.sql', { profile_ids: null, model_version: null })).toContain('predictions');
  });
});
