/**
 * The cost curve of storage and analytics against table size, on a Postgres server:
 *
 *   npm run --silent bench:analytics -- --json [--sizes 1000000,3000000,10000000] [--jobs 20]
 *
 * Per size N (positions), in a fresh database:
 * 1. builds N positions of generated profiles (synthetic careers, 20,000 organizations), scored by
 *    the keyword rules with their career features, loaded with COPY (no statistics on the way),
 *    then `rebuildMs`: the repair recompute of every statistics counter (`stats --rebuild`);
 * 2. `ingestMsPerJob`: the median time to store one job of `--job-profiles` new profiles with the
 *    real writer (positions, predictions, career features and the incremental statistics, one
 *    transaction), over `--jobs` jobs, the last of them re-delivered (stored twice);
 * 3. `pageMs`: everything the analytics page reads (warm: the median of 5 after one unmeasured
 *    read); `namedQueryMaxMs` and `namedQueries`: each named analytics query, warm, as `analytics`
 *    runs it; `diskMB`: the database's size;
 * 4. `countersMatch`: the incremental counters after step 2 equal a rebuild from the rows;
 * 5. `backfillBatchMs`: the backfill cursor reading the next batch a new version has not scored;
 * 6. `explorerFirstPageMs` (and its max): the workbench's position explorer, the first keyset page of
 *    each of eight filters, warm; `explorerDeepPageMs`: a page from the middle of the table;
 *    `reviewQueueMs`: the review queue;
 * 7. `retireMs`: retiring the version that scored every row (its partitions dropped).
 *
 * Needs a Postgres server to create databases on (BENCH_DATABASE_URL, else TEST_DATABASE_URL,
 * else DATABASE_URL). Prints one JSON object with --json, a table otherwise.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadKeywordRules } from '../src/classify/keyword-rules.ts';
import { KeywordClassifier } from '../src/classify/keywords.ts';
import type { ScoredProfile } from '../src/domain/prediction.ts';
import { contentHash } from '../src/domain/parse.ts';
import { chronologicalOrder, parseMonth } from '../src/features/months.ts';
import { syntheticProfile } from '../src/ingest/kafka/synthetic-profiles.ts';
import { logger } from '../src/logger.ts';
import { survivePoolErrors } from '../src/store/pool-errors.ts';
import { scoreProfiles } from '../src/pipeline/score.ts';
import { readDashboard } from '../src/reporting/dashboard-data.ts';
import { listNamedQueries, runNamedQuery } from '../src/reporting/named-queries.ts';
import { type Db, openDatabase, queryRows } from '../src/store/db.ts';
import { readPendingBatch } from '../src/store/backfill-store.ts';
import { rebuildStats } from '../src/store/distribution-stats.ts';
import { retireModelVersion } from '../src/store/model-retirement.ts';
import { counterTableNames, counterValueColumns } from '../src/store/statistics.ts';
import { predictionExplanation, registerModelVersion, storeBatch } from '../src/store/write-results.ts';
import { readReviewQueue } from '../src/store/review-queue.ts';
import { PositionQuerySchema, readPositions } from '../src/server/workbench-api.ts';
import { organizationKey } from '../src/text/organization.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000000,3000000,10000000' },
    jobs: { type: 'string', default: '20' },
    'job-profiles': { type: 'string', default: '250' },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
logger.level = 'warn';
const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
if (!serverUrl) throw new Error('bench:analytics needs a Postgres server: BENCH_DATABASE_URL, TEST_DATABASE_URL or DATABASE_URL');
const sizes = values.sizes.split(',').map((s) => Number(s.trim()));
const jobs = Number(values.jobs);
const jobProfiles = Number(values['job-profiles']);
if (sizes.some((n) => !Number.isInteger(n) || n < 1000) || !(jobs >= 2) || !(jobProfiles >= 1)) {
  throw new Error('--sizes takes positions counts of at least 1000, --jobs at least 2, --job-profiles at least 1');
}

const classifier = new KeywordClassifier(loadKeywordRules());
const AS_OF = '2026-01';
const ORGANIZATIONS = 20_000;

/** The i-th generated profile, with one of 20,000 organizations per position (real streams have many). */
function profile(prefix: string, i: number) {
  const p = syntheticProfile(prefix, i);
  return { ...p, positions: p.positions.map((pos, k) => ({ ...pos, organization: `${pos.organization} ${(i * 31 + k * 7) % ORGANIZATIONS}` })) };
}

/** COPY text format: tab-separated, \N for NULL, backslash and control characters escaped. */
function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

async function copyRows(client: pg.PoolClient, table: string, columns: string[], rows: Iterable<unknown[]>): Promise<void> {
  const lines = (function* () {
    for (const row of rows) yield `${row.map(copyField).join('\t')}\n`;
  })();
  await pipeline(Readable.from(lines), client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)));
}

/** Scores profiles in chunks and loads them with COPY: profiles, positions, predictions, career features. */
async function build(url: string, positions: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const client = await pool.connect();
  let stored = 0;
  let profiles = 0;
  try {
    while (stored < positions) {
      const generated = [];
      for (let count = 0; count < 20_000 && stored < positions; count++) {
        const p = profile('bench', profiles++);
        p.positions = p.positions.slice(0, positions - stored);
        stored += p.positions.length;
        generated.push(p);
      }
      const chunk = await scoreProfiles(generated, classifier, AS_OF);
      await copyRows(client, 'profiles', ['profile_id', 'source', 'content_hash', 'position_count'],
        chunk.map((p) => [p.profileId, 'bench', contentHash(p.positions.map((s) => s.position)), p.positions.length]));
      await copyRows(client, 'positions',
        ['profile_id', 'position_index', 'title', 'normalized_title', 'standardized_title', 'language', 'organization', 'organization_key', 'start_date', 'end_date', 'status', 'start_month', 'end_month', 'chronological_rank'],
        chunk.flatMap((p) => {
          const starts = p.positions.map((s) => parseMonth(s.position.startDate, 'start'));
          const order = chronologicalOrder(starts);
          return p.positions.map((s, i) => [p.profileId, i, s.title.raw, s.title.normalized, s.title.standardized, s.title.language,
            s.position.organization, organizationKey(s.position.organization), s.position.startDate, s.position.endDate, s.position.status, starts[i], parseMonth(s.position.endDate, 'end'), order.indexOf(i)]);
        }));
      await copyRows(client, 'predictions',
        ['profile_id', 'position_index', 'model_version', 'seniority', 'seniority_confidence', 'seniority_source', 'department', 'department_confidence', 'department_source', 'explanation'],
        chunk.flatMap((p) => p.positions.map((s, i) => [p.profileId, i, p.modelVersion, s.prediction.seniority.label, s.prediction.seniority.confidence,
          s.prediction.seniority.source, s.prediction.department.label, s.prediction.department.confidence, s.prediction.department.source, predictionExplanation(s.prediction)])));
      await copyRows(client, 'career_features',
        ['profile_id', 'model_version', 'current_position_index', 'current_seniority', 'current_department', 'total_experience_months', 'promotions', 'seniority_slope', 'features'],
        chunk.map((p) => [p.profileId, p.modelVersion, p.career.currentPositionIndex, p.career.currentSeniority, p.career.currentDepartment,
          p.career.totalExperienceMonths, p.career.promotions, p.career.senioritySlope, p.career]));
    }
    await client.query('ANALYZE');
  } finally {
    client.release();
    await pool.end();
  }
  return profiles;
}

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const result = await work();
  return [performance.now() - t0, result];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x * 10) / 10;

const COUNTS = counterValueColumns();

async function counters(db: Db): Promise<string> {
  const tables = counterTableNames();
  const parts: string[] = [];
  for (const table of tables) {
    const rows = await queryRows<Record<string, unknown>>(db, sql.raw(`select * from ${table}`));
    // Zero rows (everything a profile contributed was subtracted again) count as absent, as in the views.
    const nonZero = rows.filter((r) => Object.entries(r).some(([k, v]) => COUNTS.has(k) && Number(v) !== 0));
    parts.push(nonZero.map((r) => JSON.stringify(Object.values(r).map(String))).sort().join('\n'));
  }
  return parts.join('\n');
}

/**
 * The workbench's position explorer: the first keyset page (50 rows, as the page shows) of each
 * filter an analyst sets, warm, and a page from the middle of the table; and the review queue (which
 * reads every prediction of the version).
 */
async function measureWorkbench(db: Db) {
  const version = classifier.modelVersion;
  const [sample] = await queryRows<{ organization: string; title: string; profile_id: string }>(
    db, sql`select organization, title, profile_id from positions where organization is not null order by profile_id offset 500 limit 1`);
  // As the API receives them, validated by its schema.
  const filters: Record<string, Record<string, string | number>> = {
    none: {},
    seniority: { seniority: 'Lead' },
    department: { department: 'Purchasing' },
    organization: { org: sample!.organization },
    title: { q: sample!.title.split(' ')[0]! },
    confidence: { maxConfidence: 0.6 },
    fallback: { source: 'fallback' },
    combined: { seniority: 'Senior', department: 'Sales', minConfidence: 0.8 },
  };
  const explorerFirstPageMs: Record<string, number> = {};
  for (const [name, filter] of Object.entries(filters)) {
    const query = PositionQuerySchema.parse(filter);
    await readPositions(db, query, version, null, 50); // warm
    explorerFirstPageMs[name] = round((await timed(() => readPositions(db, query, version, null, 50)))[0]);
  }
  const [middle] = await queryRows<{ profile_id: string }>(db, sql`select profile_id from profiles order by profile_id offset (select count(*) / 2 from profiles) limit 1`);
  const [explorerDeepPageMs] = await timed(() => readPositions(db, PositionQuerySchema.parse({}), version, [middle!.profile_id, 0], 50));
  const [reviewQueueMs] = await timed(() => readReviewQueue(db, version, 20));
  return { explorerFirstPageMs, explorerDeepPageMs, reviewQueueMs };
}

async function measure(positions: number) {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const name = `cv_bench_analytics_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl!);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString() });
  // The pool's end() resolves before its sockets close, and the final DROP ... WITH (FORCE) may cut
  // a closing connection: logged, not an unhandled 'error' event (it failed a CI run once).
  survivePoolErrors(database.db, logger);
  try {
    await database.migrate();
    const db = database.db;
    await registerModelVersion(db, { version: classifier.modelVersion, kind: 'keywords', manifest: {} });
    const [buildMs, profiles] = await timed(() => build(url.toString(), positions));
    const [rebuildMs] = await timed(() => rebuildStats(db, classifier.modelVersion));
    // As autovacuum would soon after: planner statistics for the counters the rebuild just filled.
    await db.execute(sql`analyze`);

    const jobMs: number[] = [];
    let last: ScoredProfile[] = [];
    for (let j = 0; j < jobs; j++) {
      // The last job is the one before it again: a re-delivered job, which must not count twice.
      const scored = j === jobs - 1 ? last : await scoreProfiles(
        Array.from({ length: jobProfiles }, (_, i) => profile(`job${j}`, i)), classifier, AS_OF);
      jobMs.push((await timed(() => storeBatch(db, { source: 'bench', scored, deadLetters: [] })))[0]);
      last = scored;
    }

    await readDashboard(db, classifier.modelVersion); // warm
    const pageTimes: number[] = [];
    for (let i = 0; i < 5; i++) pageTimes.push((await timed(() => readDashboard(db, classifier.modelVersion)))[0]);
    const pageMs = median(pageTimes);
    const namedQueries: Record<string, number> = {};
    for (const query of listNamedQueries()) {
      await runNamedQuery(db, query, { modelVersion: classifier.modelVersion }); // warm
      namedQueries[query.name] = round((await timed(() => runNamedQuery(db, query, { modelVersion: classifier.modelVersion })))[0]);
    }
    const incremental = await counters(db);
    await rebuildStats(db, classifier.modelVersion);
    const countersMatch = incremental === (await counters(db));
    const [size] = await queryRows<{ bytes: string }>(db, sql`select pg_database_size(current_database())::text as bytes`);
    // The backfill cursor: the next profiles a new version has not scored, from the middle of the ids.
    const next = { targetModelVersion: 'bench-next', sourceModelVersion: null, since: null };
    await registerModelVersion(db, { version: next.targetModelVersion, kind: 'bench', manifest: {} });
    await readPendingBatch(db, next, 'bench-4', jobProfiles); // warm
    const [backfillBatchMs] = await timed(() => readPendingBatch(db, next, 'bench-5', jobProfiles));
    const { explorerFirstPageMs, explorerDeepPageMs, reviewQueueMs } = await measureWorkbench(db);
    // Retiring the version that holds every row: its partitions are dropped whole.
    const [retireMs] = await timed(() => retireModelVersion(db, classifier.modelVersion));
    return {
      positions,
      profiles,
      buildSeconds: round(buildMs / 1000),
      ingestMsPerJob: round(median(jobMs)),
      jobProfiles,
      pageMs: round(pageMs),
      namedQueryMaxMs: Math.max(...Object.values(namedQueries)),
      namedQueries,
      rebuildMs: Math.round(rebuildMs),
      backfillBatchMs: round(backfillBatchMs),
      explorerFirstPageMaxMs: Math.max(...Object.values(explorerFirstPageMs)),
      explorerFirstPageMs,
      explorerDeepPageMs: round(explorerDeepPageMs),
      reviewQueueMs: round(reviewQueueMs),
      retireMs: Math.round(retireMs),
      diskMB: Math.round(Number(size!.bytes) / 2 ** 20),
      countersMatch,
    };
  } finally {
    await database.close();
    if (!values.keep) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

const results = [];
for (const n of sizes) {
  const result = await measure(n);
  results.push(result);
  if (!values.json) process.stderr.write(`${JSON.stringify(result)}\n`);
}
const out = { classifier: classifier.modelVersion, jobs, sizes: results };
process.stdout.write(values.json ? `${JSON.stringify(out)}\n` : `${JSON.stringify(out, null, 2)}\n`);
if (results.some((r) => !r.countersMatch)) process.exitCode = 1;
