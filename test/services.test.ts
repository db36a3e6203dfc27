// Smoke test for the test environment (scripts/services.sh): Kafka, Redis and Postgres each answer.
// Locally a service whose variable is unset is skipped; under CI=true it fails instead, because
// CI must run the integration tests against real services, never silently without them.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import type { Admin, Consumer, Producer } from 'kafkajs';
import { Redis } from 'ioredis';
import pg from 'pg';

const { Kafka, logLevel, Partitioners } = kafkajs;
const CI = process.env.CI === 'true';

/** The service's env value; under CI a missing one is a test failure, not a skip. */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set, but CI=true: services are mandatory in CI (scripts/services.sh)`);
  return value;
}

describe.skipIf(!process.env.KAFKA_BROKERS && !CI)('kafka', () => {
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  const topic = `services-smoke-${randomUUID()}`;

  afterAll(async () => {
    await consumer?.disconnect().catch(() => {});
    await producer?.disconnect().catch(() => {});
    await admin?.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin?.disconnect().catch(() => {});
  });

  it('creates a topic, produces a message and consumes it back with a group', async () => {
    const brokers = required('KAFKA_BROKERS').split(',');
    const kafka = new Kafka({ clientId: 'services-smoke', brokers, logLevel: logLevel.ERROR });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });

    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const value = `hello ${randomUUID()}`;
    await producer.send({ topic, messages: [{ key: 'k', value }] });

    consumer = kafka.consumer({ groupId: `services-smoke-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const received = new Promise<string>((resolve) => {
      void consumer!.run({ eachMessage: async ({ message }) => resolve(message.value?.toString() ?? '') });
    });
    expect(await received).toBe(value);
  });
});

describe.skipIf(!process.env.REDIS_URL && !CI)('redis', () => {
  let redis: Redis | undefined;
  afterAll(async () => {
    await redis?.quit().catch(() => {});
  });

  it('SET/GET round trip', async () => {
    redis = new Redis(required('REDIS_URL'), { maxRetriesPerRequest: 1 });
    const key = `services-smoke:${randomUUID()}`;
    await redis.set(key, 'ok', 'EX', 60);
    expect(await redis.get(key)).toBe('ok');
    await redis.del(key);
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL && !CI)('postgres', () => {
  let client: pg.Client | undefined;
  afterAll(async () => {
    await client?.end().catch(() => {});
  });

  it('select 1', async () => {
    client = new pg.Client({ connectionString: required('TEST_DATABASE_URL') });
    await client.connect();
    const { rows } = await client.query<{ one: number }>('select 1 as one');
    expect(rows).toEqual([{ one: 1 }]);
  });
});
