/**
 * The streaming pipeline against the real broker, Redis and Postgres, consumer and worker in
 * this process: every valid profile lands exactly once, every invalid message is dead-lettered
 * with its reason, and a batch re-delivered after a crash between enqueue and commit stores
 * nothing twice.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { KafkaMessage } from 'kafkajs';
import { MAX_TITLE_LENGTH } from '../../src/domain/profile.ts';
import { DLQ_HEADERS } from '../../src/ingest/kafka/dead-letter-topic.ts';
import { syntheticMessages } from '../../src/ingest/kafka/profile-producer.ts';
import { syntheticProfile } from '../../src/ingest/kafka/synthetic-profiles.ts';
import type { ScoreJob } from '../../src/domain/score-job.ts';
import { queryRows } from '../../src/store/db.ts';
import { counterTableNames } from '../../src/store/statistics.ts';
import { Harness } from './harness.ts';
import { type FreshDatabase, freshDatabase, rowCounts, servicesMissing, uniqueName, waitFor } from './services.ts';

/** Positions of synthetic profiles 0..n-1 (the generator is deterministic). */
function positionsOf(prefix: string, n: number): number {
  let total = 0;
  for (let i = 0; i < n; i += 1) total += syntheticProfile(prefix, i).positions.length;
  return total;
}

describe.skipIf(servicesMissing)('the streaming pipeline (Kafka → BullMQ → Postgres)', () => {
  let fresh: FreshDatabase;
  let harness: Harness | undefined;
  beforeAll(async () => {
    fresh = await freshDatabase();
  });
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
    // each test starts from empty tables
    await fresh.database.db.execute(sql.raw(`truncate profiles, dead_letters, ${counterTableNames().join(', ')} cascade`));
  });
  afterAll(async () => fresh?.dispose());

  it('stores every produced profile and position exactly once, and refreshes the statistics', async () => {
    harness = new Harness({ partitions: 3, jobSize: 40 });
    await harness.createTopics();
    const prefix = uniqueName('e2e');
    const n = 500;
    const positions = positionsOf(prefix, n);
    await harness.startWorker(fresh.database.db, { concurrency: 2 });
    await harness.startConsumer(fresh.database.db);
    await harness.produce([...syntheticMessages(prefix, n)]);

    await waitFor('every position stored', async () => (await rowCounts(fresh.database)).predictions === positions);
    await waitFor('an idle queue', async () => {
      const c = await harness!.jobCounts();
      return c.waiting + c.active + c.delayed === 0;
    });
    expect(await rowCounts(fresh.database)).toEqual({ profiles: n, positions, predictions: positions, careerFeatures: n, deadLetters: 0 });
    const perProfile = await queryRows<{ profile_id: string; n: number }>(fresh.database.db, sql`
      select profile_id, count(*)::int as n from positions group by profile_id order by profile_id`);
    expect(perProfile.every((r) => r.n === syntheticProfile(prefix, Number(r.profile_id.split('-').pop())).positions.length)).toBe(true);
    const stored = await queryRows<{ source: string }>(fresh.database.db, sql`select distinct source from profiles`);
    expect(stored).toEqual([{ source: `kafka:${harness.topic}` }]);
    // Jobs of at most jobSize messages, none failed.
    const counts = await harness.jobCounts();
    expect(counts.failed).toBe(0);
    expect(counts.completed).toBeGreaterThanOrEqual(Math.ceil(n / 40));
    // The throttled refresher caught up with the last job.
    await waitFor('statistics of every position', async () => {
      const [s] = await queryRows<{ positions: number }>(fresh.database.db, sql`select positions from model_stats`);
      return s?.positions === positions;
    }, 10_000);
  });

  it('dead-letters each invalid message (topic and table, with its reason) and stores every valid one verbatim', async () => {
    harness = new Harness({ partitions: 2, jobSize: 4 });
    await harness.createTopics();
    const valid = (id: string, position: string) => ({ key: id, value: JSON.stringify({ profileId: id, positions: [{ position, status: 'ACTIVE' }] }) });
    const injections = {
      'v-sql': "Robert'); DROP TABLE profiles; --",
      'v-html': 'Chargée de clientèle <script>alert(1)</script>',
      'v-template': '${jndi:ldap://x} {{7*7}} %s%n',
      'v-unicode': 'Geschäftsführerin\u200b (m/w/d) 👩‍💼',
    };
    const poison = [
      { key: 'bad-json', value: '{"profileId": "bad-json", "positions": [', reason: /^invalid JSON/ },
      { key: 'no-positions', value: JSON.stringify({ profileId: 'no-positions', positions: [] }), reason: /^positions: has no positions$/ },
      { key: 'long', value: JSON.stringify({ profileId: 'long', positions: [{ position: 'x'.repeat(MAX_TITLE_LENGTH + 1) }] }), reason: new RegExp(`^positions\\[0\\]\\.position: is longer than ${MAX_TITLE_LENGTH} characters$`) },
      { key: 'id-type', value: JSON.stringify({ profileId: 42, positions: [{ position: 'CFO' }] }), reason: /^profileId: / },
      { key: 'pos-type', value: JSON.stringify({ profileId: 'pos-type', positions: [{ position: ['CFO'] }] }), reason: /^positions\[0\]\.position: / },
      { key: 'date', value: JSON.stringify({ profileId: 'date', positions: [{ position: 'CFO', startDate: '2021-13' }] }), reason: /startDate: is not YYYY-MM/ },
      { key: 'scalar', value: '"just a string"', reason: /^\(root\): expected a profile object/ },
    ];
    const messages = [
      ...Object.entries(injections).map(([id, title]) => valid(id, title)),
      ...poison.map(({ key, value }) => ({ key, value })),
      ...[...syntheticMessages(uniqueName('mix'), 30)],
    ].sort((a, b) => (a.key! < b.key! ? -1 : 1)); // interleave poison with valid messages
    await harness.startWorker(fresh.database.db);
    await harness.startConsumer(fresh.database.db);
    await harness.produce(messages);

    const validCount = messages.length - poison.length;
    await waitFor('valid profiles and dead letters stored', async () => {
      const c = await rowCounts(fresh.database);
      return c.profiles === validCount && c.deadLetters === poison.length;
    });
    const stored = await queryRows<{ profile_id: string; title: string }>(fresh.database.db, sql`
      select profile_id, title from positions where profile_id like 'v-%' order by profile_id`);
    expect(Object.fromEntries(stored.map((r) => [r.profile_id, r.title]))).toEqual(injections);

    const letters = await queryRows<{ source: string; source_ref: string; message_key: string; reason: string; payload: string }>(
      fresh.database.db,
      sql`select source, source_ref, message_key, reason, payload from dead_letters order by message_key`,
    );
    expect(letters).toHaveLength(poison.length);
    for (const p of poison) {
      const letter = letters.find((l) => l.message_key === p.key)!;
      expect(letter, p.key).toBeDefined();
      expect(letter.source).toBe(`kafka:${harness.topic}`);
      expect(letter.source_ref).toMatch(/^partition \d+ offset \d+$/);
      expect(letter.reason).toMatch(p.reason);
      expect(letter.payload).toBe(p.value);
    }

    // The dead-letter topic holds the same messages: original bytes, reason and origin in headers.
    const dlq = await readTopic(harness, harness.dlqTopic, poison.length);
    expect(dlq).toHaveLength(poison.length);
    for (const message of dlq) {
      const key = message.key!.toString();
      const letter = letters.find((l) => l.message_key === key)!;
      expect(message.value!.toString()).toBe(poison.find((p) => p.key === key)!.value);
      expect(message.headers![DLQ_HEADERS.reason]!.toString()).toBe(letter.reason);
      expect(message.headers![DLQ_HEADERS.topic]!.toString()).toBe(harness.topic);
      const ref = `partition ${message.headers![DLQ_HEADERS.partition]!.toString()} offset ${message.headers![DLQ_HEADERS.offset]!.toString()}`;
      expect(ref).toBe(letter.source_ref);
    }
  });

  it('re-delivers a batch whose consumer stopped after enqueue but before commit, and stores nothing twice', async () => {
    // One partition: the whole topic is one fetched batch, so the re-delivery is that same batch.
    harness = new Harness({ partitions: 1, jobSize: 25 });
    await harness.createTopics();
    const prefix = uniqueName('redeliver');
    const n = 200;
    const positions = positionsOf(prefix, n);
    await harness.produce([...syntheticMessages(prefix, n)]);
    const h = harness;

    // First consumer: the enqueue goes through, then it "crashes" before its commit.
    const firstIds: string[] = [];
    const crashing = {
      async enqueue(jobs: readonly ScoreJob[]) {
        await h.queue.enqueue(jobs);
        firstIds.push(...jobs.map((j) => j.id));
        throw new Error('simulated crash between enqueue and commit');
      },
      missing: (ids: readonly string[]) => h.queue.missing(ids),
    };
    const first = await h.startConsumer(fresh.database.db, { sink: crashing, onFailure: 'stop' });
    await expect(first.crashed).rejects.toThrow(/simulated crash/);
    expect(firstIds).toHaveLength(Math.ceil(n / 25));
    expect(await committedOffset(h)).toBe('-1'); // nothing committed: the batch will come again

    // The worker runs the jobs of the first delivery meanwhile.
    await h.startWorker(fresh.database.db);
    await waitFor('first delivery stored', async () => (await rowCounts(fresh.database)).predictions === positions);

    // Restarted consumer: the same batch again, the same job ids, nothing new enqueued.
    const secondIds: string[] = [];
    const recording = {
      async enqueue(jobs: readonly ScoreJob[]) {
        secondIds.push(...jobs.map((j) => j.id));
        await h.queue.enqueue(jobs);
      },
      missing: (ids: readonly string[]) => h.queue.missing(ids),
    };
    await h.startConsumer(fresh.database.db, { sink: recording });
    await waitFor('the re-delivered batch committed', async () => (await committedOffset(h)) === String(n));
    expect(secondIds).toEqual(firstIds);

    const counts = await h.jobCounts();
    expect(counts.completed).toBe(firstIds.length); // one job per id: nothing enqueued twice
    expect(counts.waiting + counts.active + counts.delayed + counts.failed).toBe(0);
    const jobs = await h.queue.queue.getJobs(['completed']);
    expect(jobs.every((j) => j.attemptsMade === 1)).toBe(true); // and no job ran twice
    expect(await rowCounts(fresh.database)).toEqual({ profiles: n, positions, predictions: positions, careerFeatures: n, deadLetters: 0 });
  });
});

async function committedOffset(harness: Harness): Promise<string> {
  const admin = harness.kafka.admin();
  await admin.connect();
  try {
    const [topic] = await admin.fetchOffsets({ groupId: harness.groupId, topics: [harness.topic] });
    return topic!.partitions[0]!.offset;
  } finally {
    await admin.disconnect();
  }
}

/** Reads `expected` messages of `topic` from the beginning with a throwaway group. */
async function readTopic(harness: Harness, topic: string, expected: number): Promise<KafkaMessage[]> {
  const consumer = harness.kafka.consumer({ groupId: uniqueName('cv-test-reader'), maxWaitTimeInMs: 500 });
  const seen: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) });
    await waitFor(`${expected} messages on ${topic}`, async () => seen.length >= expected, 20_000);
    return seen;
  } finally {
    await consumer.disconnect();
  }
}
