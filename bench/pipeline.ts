/**
 * End-to-end benchmark of the streaming pipeline: Kafka → consume → BullMQ → work → Postgres, with
 * the real commands as child processes, against the services of scripts/services.sh.
 *
 *   npm run --silent bench:pipeline -- --json --profiles 20000
 *
 * 1. produces N synthetic profiles to a fresh topic while `consume` and `work` run, and waits
 *    until every profile is stored in a fresh database: profiles/s, positions/s, latency from
 *    produce to stored row (p50/p99), lost and duplicated rows;
 * 2. baselines in the same run: a plain consumer reads the same N messages and bulk-inserts the
 *    profiles and positions (validation, no queue, no scoring) into another fresh database, once
 *    with the store's insert method (multi-row VALUES: rawProfilesPerSec) and once with unnest
 *    arrays (rawUnnestProfilesPerSec), the fastest bulk insert measured here.
 *
 * Latency is the time from the produce request to the start of the transaction that stored the
 * profile (`profiles.created_at` is `now()`, the transaction's start; the commit follows within
 * that transaction's duration, tens of milliseconds). With everything produced at once the
 * latency is mostly queueing behind the backlog; `--rate` measures it at a sustained rate.
 *
 * Options: --profiles N (20000) --partitions P (6) --job-size M (250) --concurrency C (2)
 * --workers W (1 worker process) --rate R (messages/s, default unlimited) --cpu-prof DIR
 * (CPU profiles of the child processes) --keep (keep databases, topics and queue) --json.
 * Needs KAFKA_BROKERS, REDIS_URL and a Postgres server to create databases on
 * (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else DATABASE_URL).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { contentHash, parseProfileText } from '../src/domain/parse.ts';
import type { ProfileMessage } from '../src/domain/profile.ts';
import { createKafka } from '../src/ingest/kafka/client.ts';
import { type OutgoingMessage, publishMessages, syntheticMessages } from '../src/ingest/kafka/profile-producer.ts';
import { ensureTopics } from '../src/ingest/kafka/topics.ts';
import { survivePoolErrors } from '../src/store/pool-errors.ts';
import { logger } from '../src/logger.ts';
import { type Database, openDatabase, queryRows } from '../src/store/db.ts';
import { positions as positionsTable, profiles as profilesTable } from '../src/store/schema.ts';

const { Partitioners } = kafkajs;
const root = new URL('../', import.meta.url).pathname;

const { values: args } = parseArgs({
  options: {
    profiles: { type: 'string', default: '20000' },
    partitions: { type: 'string', default: '6' },
    'job-size': { type: 'string', default: '250' },
    concurrency: { type: 'string', default: '2' },
    workers: { type: 'string', default: '1' },
    rate: { type: 'string' },
    'cpu-prof': { type: 'string' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const N = Number(args.profiles);
const PARTITIONS = Number(args.partitions);
const JOB_SIZE = Number(args['job-size']);
const CONCURRENCY = Number(args.concurrency);
const WORKERS = Number(args.workers);
const RATE = args.rate ? Number(args.rate) : undefined;
/** Give up when the pipeline has not stored everything by then: something is broken. */
const TIMEOUT_MS = 10 * 60_000;

// The children log every batch to their own stderr (captured); this process reports only its steps.
if (!process.env.LOG_LEVEL) logger.level = 'warn';
const say = (text: string) => {
  if (!args.json) process.stderr.write(`bench: ${text}\n`);
};

function requiredEnv(...names: string[]): string {
  for (const n of names) if (process.env[n]) return process.env[n]!;
  throw new Error(`set ${names.join(' or ')} (bash scripts/services.sh start && source .data/services.env)`);
}

const brokers = requiredEnv('KAFKA_BROKERS');
const redisUrl = requiredEnv('REDIS_URL');
const serverUrl = requiredEnv('BENCH_DATABASE_URL', 'TEST_DATABASE_URL', 'DATABASE_URL');
const run = randomBytes(4).toString('hex');
const topic = `cv-bench-${run}`;
const queueName = `cv-bench-${run}`;
const kafka = createKafka({ brokers: brokers.split(','), clientId: `cv-bench-${run}` });

// --- databases -----------------------------------------------------------------------------------
async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  await client.query(text).finally(() => client.end());
}

async function createDatabase(name: string): Promise<{ url: string; database: Database }> {
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString() });
  survivePoolErrors(database.db, logger); // the final DROP ... WITH (FORCE) may cut a closing connection
  await database.migrate();
  return { url: url.toString(), database };
}

// --- child processes -----------------------------------------------------------------------------
interface Child {
  process: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

function startCli(command: string, env: Record<string, string>): Child {
  const profiling = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`] : [];
  const child = spawn('node', [...profiling, 'bin/cv-pipeline.js', command], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
  return { process: child, lines, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

async function until<T>(what: string, check: () => Promise<T | false> | T | false, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function hasLogged(child: Child, msg: string): boolean {
  if (child.process.exitCode !== null) throw new Error(`${child.process.spawnargs.join(' ')} exited: ${child.lines.slice(-5).join('\n')}`);
  return child.lines.some((l) => l.includes(`"msg":"${msg}"`));
}

// --- the pipeline run ----------------------------------------------------------------------------
interface PipelineResult {
  elapsedMs: number;
  latencies: number[];
  counts: { profiles: number; positions: number; predictions: number; careerFeatures: number };
  jobs: { completed: number; failed: number; retried: number };
}

async function runPipeline(messages: readonly OutgoingMessage[], database: Database, databaseUrl: string): Promise<PipelineResult> {
  const env = {
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC: topic,
    KAFKA_DLQ_TOPIC: `${topic}.dlq`,
    KAFKA_GROUP_ID: `cv-bench-${run}`,
    KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
    REDIS_URL: redisUrl,
    QUEUE_NAME: queueName,
    DATABASE_URL: databaseUrl,
    JOB_BATCH_SIZE: String(JOB_SIZE),
    WORKER_CONCURRENCY: String(CONCURRENCY),
  };
  const workers = Array.from({ length: WORKERS }, () => startCli('work', env));
  const consumer = startCli('consume', env);
  const children = [consumer, ...workers];
  try {
    await until('consume and work to start', () => hasLogged(consumer, 'joined consumer group') && workers.every((w) => hasLogged(w, 'worker running')), 60_000);
    say(`consumer and ${WORKERS} worker process(es) ready; producing ${N} profiles`);

    const sentAt = new Map<string, number>();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const start = Date.now();
    await publishMessages(producer, topic, messages, {
      rate: RATE,
      onSent: (batch, at) => batch.forEach((m) => sentAt.set(m.key!, at)),
    });
    await producer.disconnect();
    say(`produced in ${Date.now() - start} ms; waiting for the rows`);

    const stored = async () => (await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from profiles`))[0]!.n;
    await until('every profile stored', async () => (await stored()) >= N, TIMEOUT_MS);
    const elapsedMs = Date.now() - start;

    const rows = await queryRows<{ id: string; at: number }>(database.db, sql`
      select profile_id as id, (extract(epoch from created_at) * 1000)::float8 as at from profiles`);
    const latencies = rows.map((r) => r.at - sentAt.get(r.id)!).sort((a, b) => a - b);
    const [counts] = await queryRows<PipelineResult['counts']>(database.db, sql`
      select (select count(*)::int from profiles) as "profiles", (select count(*)::int from positions) as "positions",
             (select count(*)::int from predictions) as "predictions", (select count(*)::int from career_features) as "careerFeatures"`);

    // Graceful stop: the workers finish, refresh statistics once, and exit 0.
    for (const c of children) c.process.kill('SIGTERM');
    const codes = await Promise.all(children.map((c) => c.exited));
    if (codes.some((c) => c !== 0)) throw new Error(`a child process exited with ${codes.join(', ')}`);

    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(queueName, { connection });
    const completed = await queue.getJobs(['completed']);
    const jobs = {
      completed: completed.length,
      failed: await queue.getFailedCount(),
      retried: completed.filter((j) => (j.attemptsStarted ?? 1) > 1).length,
    };
    if (!args.keep) await queue.obliterate({ force: true });
    await queue.close();
    await connection.quit();
    return { elapsedMs, latencies, counts: counts!, jobs };
  } finally {
    for (const c of children) c.process.kill('SIGKILL');
  }
}

// --- the baseline: consume + bulk insert, no queue, no scoring ------------------------------------
type InsertMethod = 'rows' | 'unnest';

async function runBaseline(database: Database, method: InsertMethod): Promise<number> {
  const consumer = kafka.consumer({ groupId: `cv-bench-raw-${method}-${run}`, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let stored = 0;
  let first = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch, commitOffsetsIfNecessary, resolveOffset }) => {
      first ||= Date.now();
      const profiles: ProfileMessage[] = [];
      for (const m of batch.messages) {
        const parsed = parseProfileText(m.value?.toString('utf8') ?? '');
        if (parsed.ok) profiles.push(parsed.value);
      }
      await insertRaw(database, profiles, method);
      const offset = (BigInt(batch.lastOffset()) + 1n).toString();
      await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset }] }] });
      resolveOffset(batch.lastOffset());
      stored += profiles.length;
      if (stored >= N) done();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('baseline timed out')), TIMEOUT_MS);
  });
  await Promise.race([finished, timeout]).finally(() => clearTimeout(timer));
  const elapsed = Date.now() - first;
  await consumer.disconnect();
  return elapsed;
}

/**
 * The same profile and position rows the pipeline writes, minus everything scoring adds. `rows`:
 * drizzle multi-row VALUES, the method of src/store/write-results.ts; `unnest`: one array
 * parameter per column, which spares the client building one bind parameter per value.
 */
async function insertRaw(database: Database, profiles: readonly ProfileMessage[], method: InsertMethod): Promise<void> {
  const profileRows = profiles.map((p) => ({
    profileId: p.profileId,
    source: `kafka:${topic}`,
    contentHash: contentHash(p.positions),
    positionCount: p.positions.length,
  }));
  const positionRows = profiles.flatMap((p) =>
    p.positions.map((pos, i) => ({
      profileId: p.profileId,
      positionIndex: i,
      title: pos.position,
      normalizedTitle: pos.position,
      standardizedTitle: pos.position,
      language: 'unknown',
      organization: pos.organization ?? null,
      linkedin: pos.linkedin ?? null,
      startDate: pos.startDate ?? null,
      endDate: pos.endDate ?? null,
      status: pos.status ?? null,
    })),
  );
  await database.db.transaction(async (tx) => {
    if (method === 'rows') {
      const CHUNK = 1000;
      for (let i = 0; i < profileRows.length; i += CHUNK) await tx.insert(profilesTable).values(profileRows.slice(i, i + CHUNK)).onConflictDoNothing();
      for (let i = 0; i < positionRows.length; i += CHUNK) await tx.insert(positionsTable).values(positionRows.slice(i, i + CHUNK)).onConflictDoNothing();
      return;
    }
    const p = <T>(f: (r: (typeof profileRows)[number]) => T) => sql.param(profileRows.map(f));
    await tx.execute(sql`insert into profiles (profile_id, source, content_hash, position_count)
      select * from unnest(${p((r) => r.profileId)}::text[], ${p((r) => r.source)}::text[], ${p((r) => r.contentHash)}::text[],
        ${p((r) => r.positionCount)}::int[]) on conflict do nothing`);
    const c = <T>(f: (r: (typeof positionRows)[number]) => T) => sql.param(positionRows.map(f));
    await tx.execute(sql`insert into positions (profile_id, position_index, title, normalized_title, standardized_title, language,
        organization, linkedin, start_date, end_date, status)
      select * from unnest(${c((r) => r.profileId)}::text[], ${c((r) => r.positionIndex)}::int[], ${c((r) => r.title)}::text[],
        ${c((r) => r.normalizedTitle)}::text[], ${c((r) => r.standardizedTitle)}::text[], ${c((r) => r.language)}::text[],
        ${c((r) => r.organization)}::text[], ${c((r) => r.linkedin)}::text[], ${c((r) => r.startDate)}::text[],
        ${c((r) => r.endDate)}::text[], ${c((r) => r.status)}::text[]) on conflict do nothing`);
  });
}

// --- main ----------------------------------------------------------------------------------------
const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

const pipelineDb = await createDatabase(`cv_bench_${run}`);
const rawDb = await createDatabase(`cv_bench_raw_${run}`);
const unnestDb = await createDatabase(`cv_bench_unnest_${run}`);
try {
  await ensureTopics(kafka, { topics: [topic, `${topic}.dlq`], partitions: PARTITIONS });
  const messages = [...syntheticMessages(`bench-${run}`, N)];
  const expectedPositions = messages.reduce((n, m) => n + (JSON.parse(m.value) as ProfileMessage).positions.length, 0);
  say(`${N} profiles, ${expectedPositions} positions; topic ${topic} (${PARTITIONS} partitions), jobs of ${JOB_SIZE}, ${WORKERS}×${CONCURRENCY} workers`);

  const pipeline = await runPipeline(messages, pipelineDb.database, pipelineDb.url);
  say(`pipeline stored everything in ${pipeline.elapsedMs} ms; running the baseline`);
  const rawMs = await runBaseline(rawDb.database, 'rows');
  const unnestMs = await runBaseline(unnestDb.database, 'unnest');
  say(`baselines in ${rawMs} ms (multi-row VALUES) and ${unnestMs} ms (unnest)`);

  const { counts } = pipeline;
  const perSec = (n: number, ms: number) => Math.round((n / ms) * 1000);
  const result = {
    profiles: N,
    positions: expectedPositions,
    profilesPerSec: perSec(counts.profiles, pipeline.elapsedMs),
    positionsPerSec: perSec(counts.positions, pipeline.elapsedMs),
    p50LatencyMs: Math.round(percentile(pipeline.latencies, 50)),
    p99LatencyMs: Math.round(percentile(pipeline.latencies, 99)),
    // Rows missing / rows beyond the expected ones (the primary keys make the latter impossible by construction).
    lost: Math.max(0, N - counts.profiles) + Math.max(0, expectedPositions - Math.min(counts.positions, counts.predictions)),
    duplicated: Math.max(0, counts.profiles - N) + Math.max(0, counts.positions - expectedPositions) + Math.max(0, counts.predictions - expectedPositions),
    // Baseline with the store's own insert method (drizzle multi-row VALUES) ...
    rawProfilesPerSec: perSec(N, rawMs),
    ratioToRaw: Number((rawMs / pipeline.elapsedMs).toFixed(2)),
    // ... and with the fastest bulk insert measured here (unnest arrays), for an honest upper bound.
    rawUnnestProfilesPerSec: perSec(N, unnestMs),
    ratioToRawUnnest: Number((unnestMs / pipeline.elapsedMs).toFixed(2)),
    elapsedMs: pipeline.elapsedMs,
    rawElapsedMs: rawMs,
    rawUnnestElapsedMs: unnestMs,
    jobs: pipeline.jobs,
    settings: { partitions: PARTITIONS, jobSize: JOB_SIZE, workerProcesses: WORKERS, concurrency: CONCURRENCY, rate: RATE ?? null },
  };
  process.stdout.write(`${args.json ? JSON.stringify(result) : JSON.stringify(result, null, 2)}\n`);
} finally {
  for (const { database } of [pipelineDb, rawDb, unnestDb]) await database.close();
  if (!args.keep) {
    for (const name of [`cv_bench_${run}`, `cv_bench_raw_${run}`, `cv_bench_unnest_${run}`]) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    await kafkaAdmin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => {});
    await kafkaAdmin.disconnect();
  }
}
