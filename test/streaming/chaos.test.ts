/**
 * The streaming pipeline as operators run it (2 `consume` and 2 `work` processes of the real
 * binary) under a seeded sequence of faults: SIGKILLs of workers and consumers, a Redis restart
 * that wipes everything it held while jobs are queued, and a Postgres outage. Then exact counts:
 * every valid profile stored once, every malformed message dead-lettered once, consumer lag 0,
 * and `cv-pipeline verify` finds nothing lost.
 *
 * Redis is a private server (this file kills it; other files share the suite's), and Postgres is
 * reached through a TCP proxy that the outage closes. CHAOS_PROFILES (default 3,000) and
 * CHAOS_SEED change the run; the figures measured are printed, not asserted (no timed asserts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../src/ingest/kafka/client.ts';
import { type OutgoingMessage, publishMessages, syntheticMessages } from '../../src/ingest/kafka/profile-producer.ts';
import { seededRandom, syntheticProfile } from '../../src/ingest/kafka/synthetic-profiles.ts';
import { ensureTopics } from '../../src/ingest/kafka/topics.ts';
import { queryRows } from '../../src/store/db.ts';
import { CliProcess } from './cli-process.ts';
import { type FreshDatabase, freshDatabase, rowCounts, services, servicesMissing, uniqueName, waitFor } from './services.ts';
import { TcpProxy } from './tcp-proxy.ts';

const { Partitioners } = kafkajs;

const N = Number(process.env.CHAOS_PROFILES ?? 3000);
const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
const PARTITIONS = 4;
/** One malformed message every this many: each must end up in dead_letters exactly once. */
const POISON_EVERY = 97;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A Redis server of this file's own, without persistence: a restart loses everything it held. */
class PrivateRedis {
  private child: ChildProcess | null = null;
  constructor(readonly port: number) {}
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitFor('the private redis', async () => {
      const socket = net.connect(this.port, '127.0.0.1');
      return new Promise<boolean>((resolve) => {
        socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
      }).finally(() => socket.destroy());
    });
  }
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/** The messages of a run: N synthetic profiles with a malformed message every POISON_EVERY. */
function chaosMessages(prefix: string): { messages: OutgoingMessage[]; positions: number; poison: number } {
  const messages: OutgoingMessage[] = [];
  let positions = 0;
  let poison = 0;
  let i = 0;
  for (const message of syntheticMessages(prefix, N)) {
    messages.push(message);
    positions += syntheticProfile(prefix, i).positions.length;
    i += 1;
    if (i % POISON_EVERY === 0) {
      poison += 1;
      messages.push({ key: `${prefix}-poison-${poison}`, value: poison % 2 ? `{"profileId": "${prefix}-broken", "positions": [` : JSON.stringify({ profileId: `${prefix}-empty-${poison}`, positions: [] }) });
    }
  }
  return { messages, positions, poison };
}

describe.skipIf(servicesMissing)('the streaming pipeline under chaos', () => {
  let fresh: FreshDatabase;
  let proxy: TcpProxy;
  let redis: PrivateRedis;
  const processes: CliProcess[] = [];

  beforeAll(async () => {
    fresh = await freshDatabase();
    const target = new URL(fresh.url);
    proxy = new TcpProxy(target.hostname, Number(target.port));
    await proxy.open();
    redis = new PrivateRedis(await freePort());
    await redis.start();
  });
  afterAll(async () => {
    for (const p of processes) p.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await redis?.kill();
    await proxy?.close();
    await fresh?.dispose();
  });

  it(`loses and duplicates nothing through kills, a Redis wipe and a Postgres outage (${N} profiles)`, { timeout: 900_000 }, async () => {
    const random = seededRandom(SEED);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const figures: Record<string, number | string> = { seed: SEED, profiles: N };
    console.log(`chaos: seed ${SEED} (CHAOS_SEED=${SEED} repeats this run), ${N} profiles`);

    const topic = uniqueName('cv-chaos');
    const groupId = uniqueName('cv-chaos-group');
    const queueName = uniqueName('cv-chaos-queue');
    const kafka = createKafka({ brokers: services.brokers(), clientId: 'cv-chaos' });
    await ensureTopics(kafka, { topics: [topic, `${topic}.dlq`], partitions: PARTITIONS });
    const proxied = new URL(fresh.url);
    proxied.port = String(proxy.port);
    const env = {
      KAFKA_BROKERS: services.brokers().join(','),
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: `${topic}.dlq`,
      KAFKA_GROUP_ID: groupId,
      REDIS_URL: redis.url,
      QUEUE_NAME: queueName,
      DATABASE_URL: proxied.toString(),
      JOB_BATCH_SIZE: '50',
      JOB_BACKOFF_MS: '500',
      WORKER_CONCURRENCY: '2',
      WORKER_LOCK_MS: '5000',
      STATS_REFRESH_INTERVAL_S: '5',
    };
    const start = (command: 'consume' | 'work') => {
      const p = new CliProcess([command], env);
      processes.push(p);
      return p;
    };
    const live = { consume: [start('consume'), start('consume')], work: [start('work'), start('work')] };
    await Promise.all([...live.consume.map((c) => c.waitForLog('consumer running', 120_000)), ...live.work.map((w) => w.waitForLog('worker running', 120_000))]);

    const prefix = uniqueName('chaos');
    const { messages, positions, poison } = chaosMessages(prefix);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    // Spread over about 20 s, so the faults below land in the middle of the stream.
    // Spread over PRODUCE_S, so each fault below lands in the middle of the stream.
    const produceMs = Math.max(40_000, (messages.length / 600) * 1000);
    const producing = publishMessages(producer, topic, messages, { rate: Math.ceil(messages.length / (produceMs / 1000)) });
    const began = Date.now();
    const at = async (share: number) => sleep(Math.max(0, began + share * produceMs - Date.now()));
    const stored = async () => (await rowCounts(fresh.database)).profiles;
    const admin = kafka.admin();
    await admin.connect();
    const committed = async () =>
      new Map(((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
    const seconds = (since: number) => Math.round((Date.now() - since) / 100) / 10;
    const watchers: Promise<unknown>[] = [];

    // 1. The workers killed while a job runs, and replaced: once its lock lapses, a new worker finds
    //    the job stalled and runs it again. A stall seen before the next worker kill (at 0.5) is this one.
    await at(0.1);
    const queue = new Queue(queueName, { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null } });
    await waitFor('a job running', async () => ((await queue.getJobCounts('active')).active ?? 0) > 0, 30_000, 50);
    const workerKilledAt = Date.now();
    for (const w of live.work) w.kill('SIGKILL');
    const replacements = [start('work'), start('work')];
    live.work = [...replacements];
    const every = (command: string) => processes.filter((p) => p.child.spawnargs.includes(command));
    watchers.push(
      waitFor('a stalled job run again', async () => replacements.some((w) => w.lines.some((l) => l.includes('job stalled'))), 0.4 * produceMs, 200).then(
        () => (figures.killedWorkersJobsRunAgainAfterS = seconds(workerKilledAt)),
        () => (figures.killedWorkersJobsRunAgainAfterS = 'no stall seen before the next kill'),
      ),
    );

    // 2. A consumer killed (and not replaced for a while): the group notices (session timeout) and
    //    the survivor takes every partition over, reading on from the committed offsets.
    await at(0.3);
    const deadConsumer = pick(live.consume);
    const survivor = live.consume.find((c) => c !== deadConsumer)!;
    const consumerKilledAt = Date.now();
    const survivorLines = survivor.lines.length;
    deadConsumer.kill('SIGKILL');
    live.consume = [survivor];
    const ownsAll = (line: string) => line.includes('"msg":"joined consumer group"') && JSON.parse(line).assignment[topic]?.length === PARTITIONS;
    watchers.push(
      waitFor('the survivor owning every partition', async () => survivor.lines.slice(survivorLines).some(ownsAll), 60_000, 200).then(
        () => (figures.consumerKillPartitionsTakenOverAfterS = seconds(consumerKilledAt)),
        () => (figures.consumerKillPartitionsTakenOverAfterS = 'not within 60 s'),
      ).then(() => live.consume.push(start('consume'))),
    );

    // 3. Redis loses everything while jobs are queued: both workers die first, so jobs pile up.
    await at(0.5);
    for (const w of live.work) w.kill('SIGKILL');
    live.work = [];
    await waitFor('jobs queued', async () => ((await queue.getJobCounts('waiting')).waiting ?? 0) > 0, 60_000, 200);
    figures.jobsQueuedAtRedisWipe = (await queue.getJobCounts('waiting')).waiting ?? 0;
    await queue.close();
    await redis.kill();
    await redis.start();
    const wipedAt = Date.now();
    const storedAtWipe = await stored();
    figures.storedAtRedisWipe = storedAtWipe;
    live.work.push(start('work'), start('work'));
    const rereads = () => every('consume').flatMap((c) => c.lines.filter((l) => l.includes('jobs lost from the queue')));
    watchers.push(
      waitFor('lost ranges re-read from Kafka', async () => rereads().length > 0, 120_000, 200).then(
        () => (figures.lostRangesRereadAfterS = seconds(wipedAt)),
        () => (figures.lostRangesRereadAfterS = 'none seen'),
      ),
    );

    // 4. Postgres away for 5 s (connections cut, new ones refused), for workers and consumers alike.
    await at(0.7);
    await proxy.close();
    await sleep(5000);
    await proxy.reopen();

    // 5. One more kill, of either kind, chosen by the seed.
    await at(0.85);
    const kind = pick(['work', 'consume'] as const);
    const last = pick(live[kind]);
    last.kill('SIGKILL');
    live[kind] = live[kind].filter((p) => p !== last);
    live[kind].push(start(kind));
    figures.lastKill = kind;

    await producing;
    await producer.disconnect();
    await Promise.all(watchers);
    figures.rangesRereadFromKafka = rereads().length;
    const expected = { profiles: N, positions, predictions: positions, careerFeatures: N, deadLetters: poison };
    await waitFor('every row stored', async () => JSON.stringify(await rowCounts(fresh.database)) === JSON.stringify(expected), 600_000, 500).catch(() => {});
    expect(await rowCounts(fresh.database)).toEqual(expected);
    await waitFor('consumer lag 0', async () => {
      const [now, ends] = await Promise.all([committed(), admin.fetchTopicOffsets(topic)]);
      return ends.every((e) => now.get(e.partition) === BigInt(e.high));
    }, 120_000, 500).catch(async (err: Error) => {
      // What a failure needs explained: offsets per partition and what the consumers said.
      const [now, ends] = await Promise.all([committed(), admin.fetchTopicOffsets(topic)]);
      console.log(`chaos: committed ${[...now].map(([p, o]) => `${p}:${o}`).join(' ')}; log ends ${ends.map((e) => `${e.partition}:${e.high}`).join(' ')}`);
      for (const c of every('consume')) console.log(c.lines.filter((l) => !l.includes('"level":20')).slice(-30).join('\n'));
      const ledger = await queryRows(fresh.database.db, sql`select partition, first_offset::text, last_offset::text from stored_offsets order by 1, 2`);
      console.log(`chaos: ledger ${JSON.stringify(ledger)}`);
      const q = new Queue(queueName, { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null } });
      const jobs = await q.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized']);
      console.log(`chaos: jobs ${JSON.stringify(await Promise.all(jobs.map(async (j) => `${j.id} ${await j.getState()} ${j.attemptsMade}`)))}`);
      await q.close();
      throw err;
    });
    await admin.disconnect();

    // The operator's check agrees: nothing lost, nothing pending.
    const verify = new CliProcess(['verify', '--json'], { ...env, DATABASE_URL: fresh.url });
    expect((await verify.exited).code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ messages: N + poison, valid: N, invalid: poison, lost: 0, pending: 0, lag: 0 });

    // And it notices a loss: a stored profile deleted behind the committed offset.
    await fresh.database.db.execute(sql`delete from profiles where profile_id = ${`${prefix}-0`}`);
    const check = new CliProcess(['verify', '--json'], { ...env, DATABASE_URL: fresh.url });
    expect((await check.exited).code).toBe(3);
    expect(JSON.parse(check.stdout)).toMatchObject({ lost: 1, pending: 0 });

    figures.totalS = seconds(began);
    console.log(`chaos: ${JSON.stringify(figures)}`);
  });
});
