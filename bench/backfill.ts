/**
 * Backfill throughput with worker processes sharing one run:
 *
 *   npm run --silent bench:backfill -- --json [--workers 2] [--positions 200000] [--batch 1000] [--threads 0] [--range-profiles 5000]
 *
 * Seeds a fresh database (on the Postgres server of DATABASE_URL or TEST_DATABASE_URL) with N
 * positions (the synthetic examples, repeated under new profile ids) that an "older model" scored,
 * starts --workers `backfill-worker` processes (the real command, on a fresh BullMQ queue of
 * REDIS_URL), queues one backfill and waits for its parent job, which finishes when every range job
 * is done. Reports:
 *   rowsPerSec          positions re-scored and committed per second by all the workers together
 *                       (from queueing to the last range; the drift refresh at the end is timed apart)
 *   endToEndRowsPerSec  the same including the refresh
 *   rangesPerWorker     range jobs each process ran
 *   rssMB               each worker process's peak resident memory (VmHWM), everything loaded
 *   scoreOnlyRowsPerSec the scoring core alone in this process on the same profiles (no database,
 *                       no queue): what one core can score
 * Seeding is not timed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { QueueEvents } from 'bullmq';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { loadClassifier } from '../src/classify/load-classifier.ts';
import type { TitleClassifier } from '../src/domain/prediction.ts';
import type { Position, ProfileMessage } from '../src/domain/profile.ts';
import { backfillQueue, enqueueBackfill } from '../src/queues/backfill/backfill-queue.ts';
import type { BackfillResult } from '../src/queues/backfill/backfill.ts';
import { redisConnection } from '../src/runtime/redis-connection.ts';
import { logger } from '../src/logger.ts';
import { survivePoolErrors } from '../src/store/pool-errors.ts';
import { scoreProfiles } from '../src/pipeline/score.ts';
import { readPendingBatch } from '../src/store/backfill-store.ts';
import { type Database, openDatabase, queryRows } from '../src/store/db.ts';
import { registerModelVersion } from '../src/store/write-results.ts';
import { classifierSource } from '../src/cli/context.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    workers: { type: 'string', default: '1' },
    positions: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '1000' },
    threads: { type: 'string', default: '0' },
    'range-profiles': { type: 'string', default: '5000' },
  },
});
const workers = Number(values.workers);
const threads = Number(values.threads);
const rangeProfiles = Number(values['range-profiles']);
const wanted = Number(values.positions);
const batchSize = Number(values.batch);
if (![wanted, batchSize, workers, rangeProfiles].every((n) => Number.isInteger(n) && n > 0) || !(threads >= 0)) {
  throw new Error('--positions, --batch, --workers and --range-profiles must be positive integers, --threads at least 0');
}
const server = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
if (!server || !redisUrl) throw new Error('bench:backfill needs a Postgres server and Redis: DATABASE_URL (or TEST_DATABASE_URL) and REDIS_URL');
logger.level = process.env.LOG_LEVEL ?? 'warn';
const OLD_MODEL = 'bench-old';

const examples = JSON.parse(readFileSync(new URL('../examples/profiles.json', import.meta.url), 'utf8')) as Position[][];

/** A fresh database on the server. */
async function benchDatabase(): Promise<{ database: Database; url: string; drop(): Promise<void> }> {
  const name = `cv_bench_${randomBytes(5).toString('hex')}`;
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    await client.query(text).finally(() => client.end());
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(server!);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString() });
  survivePoolErrors(database.db, logger); // the final DROP ... WITH (FORCE) may cut a closing connection
  await database.migrate();
  return {
    database,
    url: url.toString(),
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
  let cursor = '';
  let rows = 0;
  // A sample is enough for a rate: up to 20,000 positions.
  while (rows < Math.min(20_000, wanted)) {
    const batch = await readPendingBatch(database.db, filter, cursor, batchSize);
    if (batch.length === 0) break;
    batches.push(batch);
    rows += batch.reduce((n, p) => n + p.positions.length, 0);
    cursor = batch[batch.length - 1]!.profileId;
  }
  await scoreProfiles(batches[0]!, classifier, '2026-01'); // warm-up
  const t0 = performance.now();
  for (const batch of batches) await scoreProfiles(batch, classifier, '2026-01');
  return rows / ((performance.now() - t0) / 1000);
}

/** Range jobs each worker process reported done (from its log). */
const rangesRun = new Map<ChildProcess, number>();

/** One `backfill-worker` process, resolved once it says it is running. */
async function startWorker(url: string, queueName: string): Promise<ChildProcess> {
  const child = spawn('node', ['bin/cv-pipeline.js', 'backfill-worker', '--no-schedule', '--threads', String(threads)], {
    cwd: new URL('../', import.meta.url).pathname,
    env: { ...process.env, DATABASE_URL: url, REDIS_URL: redisUrl, BACKFILL_QUEUE_NAME: queueName, BACKFILL_BATCH_SIZE: String(batchSize),
           BACKFILL_RANGE_PROFILES: String(rangeProfiles), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  rangesRun.set(child, 0);
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`backfill-worker exited ${code} before it was running`)));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (line.includes('backfill worker running')) resolve();
      if (line.includes('backfill job done') && line.includes('backfill-range')) rangesRun.set(child, rangesRun.get(child)! + 1);
    });
  });
  return child;
}

/** Peak resident memory of a live process (Linux), in MB; null for one that exited (or was killed). */
function peakRssMB(child: ChildProcess): number | null {
  if (child.exitCode !== null || child.signalCode !== null) return null;
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(kb) / 1024);
}

const classifier: TitleClassifier = await loadClassifier(classifierSource());
const { database, url, drop } = await benchDatabase();
const queueName = `bench-backfill-${randomBytes(4).toString('hex')}`;
const connection = redisConnection(redisUrl, 'worker');
const queue = backfillQueue(connection, queueName);
const eventsConnection = redisConnection(redisUrl, 'worker');
const events = new QueueEvents(queueName, { connection: eventsConnection });
const children: ChildProcess[] = [];
try {
  const seedStart = performance.now();
  const positions = await seed(database);
  const seedSeconds = (performance.now() - seedStart) / 1000;
  const scoreOnlyRowsPerSec = await scoreOnly(database, classifier);
  for (let i = 0; i < workers; i++) children.push(await startWorker(url, queueName));
  await events.waitUntilReady();
  const id = await enqueueBackfill(queue, {});
  const result = (await (await queue.getJob(id))!.waitUntilFinished(events, 3_600_000)) as BackfillResult;
  if (result.rowsScored !== positions) throw new Error(`backfill scored ${result.rowsScored} of ${positions} positions`);
  const scoringSeconds = result.seconds - result.refreshSeconds;
  const out = {
    modelVersion: classifier.modelVersion,
    positions,
    profiles: result.profilesScored,
    workers,
    scoringThreadsPerWorker: threads,
    batchSize,
    rangeProfiles,
    rowsPerSec: Math.round(positions / scoringSeconds),
    endToEndRowsPerSec: Math.round(positions / result.seconds),
    rangesPerWorker: children.map((c) => rangesRun.get(c)),
    rssMB: children.map(peakRssMB),
    scoreOnlyRowsPerSec: Math.round(scoreOnlyRowsPerSec),
    backfillSeconds: Number(scoringSeconds.toFixed(2)),
    refreshSeconds: Number(result.refreshSeconds.toFixed(2)),
    seedSeconds: Number(seedSeconds.toFixed(2)),
    cpus: cpus().length,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(out)}\n`);
  else console.table(out);
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : null)));
  await events.close();
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  await connection.quit();
  await eventsConnection.quit();
  await drop();
}
