/**
 * Backfill throughput: npm run --silent bench:backfill -- [--json] [--positions 200000] [--batch 1000] [--threads N (default: one per core)] [--classifier shipped|keywords]
 *
 * Seeds a fresh database with N positions (the synthetic examples, repeated under new profile ids)
 * that an "older model" scored, then runs the real backfill (`runBackfill`, as the CLI and the
 * nightly job do) with the shipped classifier, and reports:
 *   rowsPerSec          positions re-scored and committed per second (read, score, write; the
 *                       statistics refresh at the end is timed apart, as refreshSeconds)
 *   endToEndRowsPerSec  the same including the refresh
 *   scoreOnlyRowsPerSec the scoring core alone on the same profiles in memory (no database): the
 *                       ceiling the backfill cannot pass on one core
 * Database: a new database on the Postgres server of DATABASE_URL (or TEST_DATABASE_URL), dropped
 * afterwards; without either, embedded PGlite in memory. Seeding is not timed.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { loadClassifier } from '../src/classify/load-classifier.ts';
import { loadKeywordRules } from '../src/classify/keyword-rules.ts';
import { KeywordClassifier } from '../src/classify/keywords.ts';
import type { TitleClassifier } from '../src/domain/prediction.ts';
import type { Position, ProfileMessage } from '../src/domain/profile.ts';
import { runBackfill } from '../src/queues/backfill/backfill.ts';
import { ScoringPool, defaultScoringThreads } from '../src/queues/backfill/scoring-pool.ts';
import { logger } from '../src/logger.ts';
import { scoreProfiles } from '../src/pipeline/score.ts';
import { readPendingBatch } from '../src/store/backfill-store.ts';
import { type Database, openDatabase, queryRows } from '../src/store/db.ts';
import { registerModelVersion } from '../src/store/write-results.ts';
import { classifierSource } from '../src/cli/context.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    positions: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '1000' },
    classifier: { type: 'string', default: 'shipped' },
    threads: { type: 'string', default: String(defaultScoringThreads()) },
  },
});
const wanted = Number(values.positions);
const batchSize = Number(values.batch);
const threads = Number(values.threads);
if (!Number.isInteger(wanted) || wanted <= 0 || !Number.isInteger(batchSize) || batchSize <= 0) {
  throw new Error('--positions and --batch must be positive integers');
}
logger.level = process.env.LOG_LEVEL ?? 'warn';
const OLD_MODEL = 'bench-old';

const examples = JSON.parse(readFileSync(new URL('../examples/profiles.json', import.meta.url), 'utf8')) as Position[][];

/** A fresh database on the server, or PGlite in memory. */
async function benchDatabase(): Promise<{ database: Database; kind: string; drop(): Promise<void> }> {
  const server = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL;
  if (!server) {
    const database = await openDatabase({ pgliteDir: 'memory://' });
    await database.migrate();
    return { database, kind: 'pglite (in memory)', drop: () => database.close() };
  }
  const name = `cv_bench_${randomBytes(5).toString('hex')}`;
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    await client.query(text).finally(() => client.end());
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString() });
  await database.migrate();
  return {
    database,
    kind: 'postgres',
    async drop() {
      await database.close();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/**
 * Writes profiles, positions and old-model predictions straight from the example templates in SQL
 * (seeding is set-up, not what is measured). Profile k copies template k mod 50.
 */
async function seed(database: Database): Promise<number> {
  const db = database.db;
  await registerModelVersion(db, { version: OLD_MODEL, kind: 'bench', manifest: {} });
  const t = examples.flatMap((positions, template) => positions.map((p, index) => ({ template, index, ...p })));
  const avg = t.length / examples.length;
  const profiles = Math.ceil(wanted / avg);
  const col = <K extends keyof (typeof t)[number]>(k: K) => sql.param(t.map((r) => r[k] ?? null));
  await db.execute(sql`create temporary table bench_templates as
    select * from unnest(${col('template')}::int[], ${col('index')}::int[], ${col('position')}::text[], ${col('organization')}::text[],
                         ${col('startDate')}::text[], ${col('endDate')}::text[], ${col('status')}::text[])
      as t(template, idx, title, organization, start_date, end_date, status)`);
  await db.execute(sql`insert into profiles (profile_id, source, content_hash, position_count)
    select 'bench-' || lpad(g::text, 8, '0'), 'bench', md5(g::text), (select count(*) from bench_templates where template = g % ${examples.length})
    from generate_series(0, ${profiles - 1}) g`);
  await db.execute(sql`insert into positions (profile_id, position_index, title, normalized_title, standardized_title, language,
                                              organization, start_date, end_date, status)
    select 'bench-' || lpad(g::text, 8, '0'), t.idx, t.title, lower(t.title), lower(t.title), 'en', t.organization, t.start_date, t.end_date, t.status
    from generate_series(0, ${profiles - 1}) g join bench_templates t on t.template = g % ${examples.length}`);
  await db.execute(sql`insert into predictions (profile_id, position_index, model_version, seniority, seniority_confidence, seniority_source,
                                                department, department_confidence, department_source, explanation)
    select profile_id, position_index, ${OLD_MODEL}, 'Professional', 0.5, 'ensemble', 'Other', 0.5, 'ensemble', '{}'::jsonb from positions`);
  await db.execute(sql`analyze`);
  const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from positions`);
  return row!.n;
}

/** The scoring core alone, on the same batches the backfill reads (read first, then timed). */
async function scoreOnly(database: Database, classifier: TitleClassifier): Promise<number> {
  const filter = { targetModelVersion: `${classifier.modelVersion}-none`, sourceModelVersion: null, since: null };
  const batches: ProfileMessage[][] = [];
  let cursor = { profileId: '', positionIndex: -1 };
  let rows = 0;
  // A sample is enough for a rate: up to 50,000 positions.
  while (rows < Math.min(50_000, wanted)) {
    const batch = await readPendingBatch(database.db, filter, cursor, batchSize);
    if (batch.length === 0) break;
    batches.push(batch);
    rows += batch.reduce((n, p) => n + p.positions.length, 0);
    const last = batch[batch.length - 1]!;
    cursor = { profileId: last.profileId, positionIndex: last.positions.length - 1 };
  }
  await scoreProfiles(batches[0]!, classifier, '2026-01'); // warm-up
  const t0 = performance.now();
  for (const batch of batches) await scoreProfiles(batch, classifier, '2026-01');
  return rows / ((performance.now() - t0) / 1000);
}

const classifier: TitleClassifier = values.classifier === 'keywords' ? new KeywordClassifier(loadKeywordRules()) : await loadClassifier(classifierSource());
const { database, kind, drop } = await benchDatabase();
try {
  const seedStart = performance.now();
  const positions = await seed(database);
  const seedSeconds = (performance.now() - seedStart) / 1000;
  const scoreOnlyRowsPerSec = await scoreOnly(database, classifier);
  // Threads load the shipped classifier; with --classifier keywords the main thread scores.
  const pool = threads > 0 && values.classifier !== 'keywords' ? await ScoringPool.start(threads, classifierSource()) : null;
  const result = await runBackfill(database.db, classifier, { batchSize, trigger: 'bench', asOf: '2026-01', scorer: pool }).finally(() => pool?.close());
  if (result.rowsScored !== positions) throw new Error(`backfill scored ${result.rowsScored} of ${positions} positions`);
  const scoringSeconds = result.seconds - result.refreshSeconds;
  const out = {
    modelVersion: classifier.modelVersion,
    database: kind,
    positions,
    profiles: result.profilesScored,
    batchSize,
    scoringThreads: pool ? threads : 0,
    rowsPerSec: Math.round(positions / scoringSeconds),
    endToEndRowsPerSec: Math.round(positions / result.seconds),
    scoreOnlyRowsPerSec: Math.round(scoreOnlyRowsPerSec),
    backfillSeconds: Number(scoringSeconds.toFixed(2)),
    refreshSeconds: Number(result.refreshSeconds.toFixed(2)),
    seedSeconds: Number(seedSeconds.toFixed(2)),
    cpus: cpus().length,
    rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
  if (values.json) process.stdout.write(`${JSON.stringify(out)}\n`);
  else console.table(out);
} finally {
  await drop();
}
