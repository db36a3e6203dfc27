/**
 * Statistics maintained incrementally, in the transaction that stores a batch. Each counter table
 * has one query (sql/stats/*.sql) saying what a set of profiles contributes to it; storing a batch
 * reads that contribution before its writes and again after them, and adds the difference. So a
 * batch stored twice, a re-delivered range or a backfill re-scoring a position changes the counters
 * by exactly what changed, and the per-batch cost follows the batch, not the table.
 *
 * Two writers of one profile would both read the old contribution and both add theirs: writers
 * lock their profiles first (advisory locks, in a fixed order), and add their differences in a
 * fixed order too (table, then key), so concurrent batches wait on each other and never deadlock.
 *
 * `rebuildStatistics` recomputes the counters from the stored rows with the same queries: the
 * repair command, and the reference the tests compare the incremental counters with.
 */
import { sql } from 'drizzle-orm';
import { type Db, queryRows } from './db.ts';
import { bindParameters, readStatements } from './sql-file.ts';
import { type UnnestColumn, unnestInsert } from './unnest.ts';

interface CounterTable {
  table: string;
  /** Key columns and their SQL types, in the primary key's order. */
  keys: readonly (readonly [name: string, type: 'text' | 'int'])[];
  /** Additive bigint columns. */
  values: readonly string[];
  /** The SELECT of what profiles contribute: key columns then value columns; null for stat_scope_totals. */
  contribution: string | null;
}

function counter(table: string, file: string, keys: CounterTable['keys'], values: string[]): CounterTable {
  const [contribution] = readStatements(`stats/${file}`);
  return { table, keys, values, contribution: contribution! };
}

let counterTables: readonly CounterTable[] | undefined;

/** In the order their rows are locked; read on first use (db.ts imports this module, and sql-file.ts imports db.ts). */
function counters(): readonly CounterTable[] {
  counterTables ??= [
    counter('stat_class_counts', 'class-counts.sql', [['model_version', 'text'], ['task', 'text'], ['scope', 'text'], ['scope_value', 'text'], ['label', 'text']], ['n', 'fallbacks', 'overrides', 'confidence_micros']),
    counter('stat_confidence_counts', 'confidence-counts.sql', [['model_version', 'text'], ['task', 'text'], ['bucket', 'int']], ['n']),
    counter('stat_tenure_counts', 'tenure-counts.sql', [['model_version', 'text'], ['seniority', 'text'], ['months', 'int']], ['n']),
    counter('stat_transition_counts', 'transition-counts.sql', [['model_version', 'text'], ['task', 'text'], ['from_label', 'text'], ['to_label', 'text']], ['n']),
    counter('stat_career_counts', 'career-counts.sql', [['model_version', 'text']], ['profiles', 'moves', 'promotions', 'step_downs', 'promoted_profiles']),
    counter('stat_lead_counts', 'lead-counts.sql', [['model_version', 'text'], ['current_department', 'text'], ['months', 'int']], ['n']),
    counter('stat_agreement_counts', 'agreement-counts.sql', [['model_version', 'text'], ['other_version', 'text']], ['positions', 'seniority_agree', 'department_agree']),
    // stat_class_counts summed over labels: derived from the first counter, no query of its own.
    { table: 'stat_scope_totals', keys: [['model_version', 'text'], ['task', 'text'], ['scope', 'text'], ['scope_value', 'text']], values: ['n'], contribution: null },
  ];
  return counterTables;
}

/** The counter tables, for tests and benchmarks that compare them with a rebuild. */
export function counterTableNames(): string[] {
  return counters().map((c) => c.table);
}

/** Every additive column of the counter tables (a row with all of them 0 counts nothing). */
export function counterValueColumns(): Set<string> {
  return new Set(counters().flatMap((c) => c.values));
}

type Row = Record<string, unknown>;

/** Writers hold it shared, a rebuild exclusively: a rebuild never interleaves with a batch's difference. */
const STATS_LOCK = 'cv-pipeline:statistics';

/** What the profiles contribute now, per counter table, keyed by the JSON of the key columns. */
type Contribution = Map<string, { key: unknown[]; values: number[] }>[];

async function contributionOf(tx: Db, profileIds: readonly string[], modelVersion: string | null): Promise<Contribution> {
  const params = { profile_ids: profileIds, model_version: modelVersion };
  // A batch reads its own profiles' rows only: by primary key, never a scan of the table, which the
  // planner would choose while its statistics still describe a smaller table (measured at 70k
  // positions before an ANALYZE: 20-40 ms per query, growing with the table, with parallel workers
  // competing for the scorer's cores). Local to the transaction; reset below.
  await tx.execute(sql`select set_config('enable_seqscan', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)`);
  const out: Contribution = [];
  for (const c of counters()) {
    const byKey = new Map<string, { key: unknown[]; values: number[] }>();
    if (c.contribution === null) {
      for (const { key, values } of out[0]!.values()) {
        const total = key.slice(0, 4);
        const k = JSON.stringify(total);
        byKey.set(k, { key: total, values: [(byKey.get(k)?.values[0] ?? 0) + values[0]!] });
      }
      out.push(byKey);
      continue;
    }
    const rows = await queryRows<Row>(tx, bindParameters(c.contribution, params));
    for (const row of rows) {
      const key = c.keys.map(([name, type]) => (type === 'int' ? Number(row[name]) : row[name]));
      // bigint arrives as a string from node-postgres.
      byKey.set(JSON.stringify(key), { key, values: c.values.map((v) => Number(row[v])) });
    }
    out.push(byKey);
  }
  await tx.execute(sql`reset enable_seqscan`);
  await tx.execute(sql`reset max_parallel_workers_per_gather`);
  return out;
}

/** Adds `after - before` to the counters, in table then key order; unchanged keys are not touched. */
async function addDifference(tx: Db, before: Contribution, after: Contribution): Promise<void> {
  for (const [i, c] of counters().entries()) {
    const delta = new Map<string, { key: unknown[]; values: number[] }>();
    for (const [k, row] of after[i]!) delta.set(k, { key: row.key, values: [...row.values] });
    for (const [k, row] of before[i]!) {
      const d = delta.get(k) ?? { key: row.key, values: row.values.map(() => 0) };
      row.values.forEach((v, j) => (d.values[j]! -= v));
      delta.set(k, d);
    }
    const changed = [...delta.entries()].filter(([, d]) => d.values.some((v) => v !== 0)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (changed.length === 0) continue;
    const columns: UnnestColumn[] = [
      ...c.keys.map(([name, type], j): UnnestColumn => [name, type, changed.map(([, d]) => d.key[j])]),
      ...c.values.map((name, j): UnnestColumn => [name, 'bigint', changed.map(([, d]) => d.values[j])]),
    ];
    const keys = c.keys.map(([name]) => name).join(', ');
    const add = c.values.map((v) => `${v} = ${c.table}.${v} + excluded.${v}`).join(', ');
    await tx.execute(unnestInsert(c.table, columns, `on conflict (${keys}) do update set ${add}`));
  }
}

/**
 * Runs `write` (every write of a batch that touches `profileIds`) inside the caller's transaction
 * and keeps the counters exact: the profiles are locked, their contribution read before and after,
 * the difference added. `onlyVersion`: the write changes that model version's predictions and
 * career features and nothing else (a backfill), so only what involves that version is read; the
 * other versions' rows of these profiles contribute the same before and after.
 */
export async function withStatistics(
  tx: Db,
  profileIds: readonly string[],
  write: () => Promise<void>,
  onlyVersion: string | null = null,
): Promise<void> {
  const ids = [...new Set(profileIds)];
  if (ids.length === 0) return write();
  // Shared with every other writer, exclusive against a rebuild (which replaces the counters).
  await tx.execute(sql`select pg_advisory_xact_lock_shared(hashtextextended(${STATS_LOCK}, 0))`);
  // Sorted by the lock key, so two batches sharing profiles take their locks in the same order.
  await tx.execute(sql`
    select pg_advisory_xact_lock(k) from (
      select distinct hashtextextended('cv-pipeline:profile:' || id, 0) as k from unnest(${sql.param(ids)}::text[]) as id
    ) locks order by k`);
  // A profile not stored yet contributes nothing: most of a stream, so skip asking for it.
  const stored = await queryRows<{ id: string }>(tx, sql`select profile_id as id from profiles where profile_id = any(${sql.param(ids)}::text[])`);
  const before = stored.length > 0 ? await contributionOf(tx, stored.map((r) => r.id), onlyVersion) : counters().map(() => new Map());
  await write();
  await addDifference(tx, before, await contributionOf(tx, ids, onlyVersion));
}

/**
 * Deletes the counters of `modelVersion` (null: every version), in the caller's transaction, which
 * then holds the statistics lock exclusively: no batch adds a difference until it commits.
 */
export async function deleteStatistics(tx: Db, modelVersion: string | null): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${STATS_LOCK}, 0))`);
  for (const c of counters()) {
    // A pair counter (agreement) belongs to both of its versions.
    const versions = c.keys.some(([name]) => name === 'other_version') ? 'model_version, other_version' : 'model_version';
    await tx.execute(sql`delete from ${sql.raw(c.table)} where ${modelVersion === null ? sql`true` : sql`${modelVersion} in (${sql.raw(versions)})`}`);
  }
}

/**
 * Recomputes the counters of `modelVersion` (null: every version) from the stored rows, in the
 * caller's transaction: the repair for counters that drifted (e.g. rows edited by hand).
 */
export async function rebuildStatistics(tx: Db, modelVersion: string | null): Promise<void> {
  const params = { profile_ids: null, model_version: modelVersion };
  await deleteStatistics(tx, modelVersion);
  for (const c of counters()) {
    const columns = [...c.keys.map(([name]) => name), ...c.values].join(', ');
    const select =
      c.contribution === null
        ? sql`select model_version, task, scope, scope_value, sum(n) from stat_class_counts
              where ${modelVersion === null ? sql`true` : sql`model_version = ${modelVersion}`} group by 1, 2, 3, 4`
        : bindParameters(c.contribution, params);
    await tx.execute(sql.join([sql.raw(`insert into ${c.table} (${columns}) `), select]));
  }
}
