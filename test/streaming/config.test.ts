import { describe, expect, it } from 'vitest';
import { brokerList, loadEnv, requireEnv } from '../../src/config.ts';

describe('streaming configuration from the environment', () => {
  it('has defaults for everything but the server addresses', () => {
    const env = loadEnv({});
    expect(env).toMatchObject({
      KAFKA_TOPIC: 'cv-profiles',
      KAFKA_DLQ_TOPIC: 'cv-profiles.dlq',
      KAFKA_GROUP_ID: 'cv-pipeline',
      QUEUE_NAME: 'score',
      JOB_BATCH_SIZE: 250,
      WORKER_CONCURRENCY: 2,
      STATS_REFRESH_INTERVAL_S: 30,
    });
    expect(env.KAFKA_BROKERS).toBeUndefined();
  });

  it('reads numbers and broker lists', () => {
    const env = loadEnv({ KAFKA_BROKERS: '10.0.0.1:9092,kafka-2:29092', WORKER_CONCURRENCY: '8', STATS_REFRESH_INTERVAL_S: '0' });
    expect(brokerList(env.KAFKA_BROKERS!)).toEqual(['10.0.0.1:9092', 'kafka-2:29092']);
    expect(env.WORKER_CONCURRENCY).toBe(8);
    expect(env.STATS_REFRESH_INTERVAL_S).toBe(0);
  });

  it.each([
    [{ KAFKA_BROKERS: 'localhost' }, /KAFKA_BROKERS: must be host:port/],
    [{ WORKER_CONCURRENCY: 'two' }, /WORKER_CONCURRENCY: /],
    [{ JOB_BATCH_SIZE: '0' }, /JOB_BATCH_SIZE: must be a positive integer/],
    [{ KAFKA_TOPIC: 'cv:profiles' }, /KAFKA_TOPIC: must be 1-249 characters/],
    [{ QUEUE_NAME: 'a:b' }, /QUEUE_NAME: must not contain ":"/],
    [{ REDIS_URL: '127.0.0.1:6379' }, /REDIS_URL: must start with redis:\/\//],
  ])('names the variable that is wrong: %o', (vars, message) => {
    expect(() => loadEnv(vars)).toThrow(message);
  });

  it('names every missing variable a command needs, with an example', () => {
    expect(() => requireEnv(loadEnv({}), 'work', ['REDIS_URL', 'DATABASE_URL'])).toThrow(
      /^`work` needs REDIS_URL \(.*redis:\/\/127\.0\.0\.1:6379\) and DATABASE_URL \(.*postgres:\/\//,
    );
    expect(requireEnv(loadEnv({ REDIS_URL: 'redis://r:6379' }), 'consume', ['REDIS_URL'])).toEqual({ REDIS_URL: 'redis://r:6379' });
  });
});
