/**
 * The streaming pipeline assembled in-process on its own topic, group and queue, so each test is
 * independent of every other (and of earlier runs). Everything opened is closed by `close`.
 */
import kafkajs from 'kafkajs';
import type { Kafka, Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import { loadClassifier } from '../../src/classify/load-classifier.ts';
import { createKafka } from '../../src/ingest/kafka/client.ts';
import { type RunningConsumer, startProfileConsumer } from '../../src/ingest/kafka/profile-consumer.ts';
import { type OutgoingMessage, publishMessages } from '../../src/ingest/kafka/profile-producer.ts';
import { ensureTopics } from '../../src/ingest/kafka/topics.ts';
import { redisConnection } from '../../src/runtime/redis-connection.ts';
import type { JobSink } from '../../src/domain/score-job.ts';
import { ScoreQueue } from '../../src/queues/score/score-queue.ts';
import { type RunningWorker, startScoreWorker } from '../../src/queues/score/score-worker.ts';
import { survivePoolErrors } from '../../src/store/pool-errors.ts';
import { logger } from '../../src/logger.ts';
import type { Db } from '../../src/store/db.ts';
import { services, uniqueName } from './services.ts';

const { Partitioners } = kafkajs;

export interface HarnessOptions {
  partitions?: number;
  jobSize?: number;
  attempts?: number;
  backoffMs?: number;
}

export class Harness {
  readonly topic = uniqueName('cv-test');
  readonly dlqTopic = `${this.topic}.dlq`;
  readonly groupId = uniqueName('cv-test-group');
  readonly queueName = uniqueName('cv-test-queue');
  readonly kafka: Kafka = createKafka({ brokers: services.brokers(), clientId: 'cv-test' });
  readonly jobSize: number;
  private readonly redis: Redis[] = [];
  private readonly closers: (() => Promise<void>)[] = [];
  private producer: Producer | null = null;
  readonly queue: ScoreQueue;

  constructor(private readonly options: HarnessOptions = {}) {
    this.jobSize = options.jobSize ?? 50;
    this.queue = new ScoreQueue(this.connection('queue'), this.queueName, {
      attempts: options.attempts ?? 10,
      backoffMs: options.backoffMs ?? 200,
    });
  }

  async createTopics(): Promise<void> {
    await ensureTopics(this.kafka, { topics: [this.topic, this.dlqTopic], partitions: this.options.partitions ?? 3 });
  }

  connection(role: 'queue' | 'worker'): Redis {
    const redis = redisConnection(services.redisUrl(), role);
    this.redis.push(redis);
    return redis;
  }

  async produce(messages: readonly OutgoingMessage[]): Promise<void> {
    if (!this.producer) {
      this.producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await this.producer.connect();
    }
    await publishMessages(this.producer, this.topic, messages);
  }

  /** A consumer group member; `db` holds its offset ledger (the database the workers store into). */
  async startConsumer(db: Db, overrides: { sink?: JobSink; onFailure?: 'restart' | 'stop' } = {}): Promise<RunningConsumer> {
    const consumer = await startProfileConsumer({
      db,
      kafka: this.kafka,
      topic: this.topic,
      dlqTopic: this.dlqTopic,
      groupId: this.groupId,
      jobSize: this.jobSize,
      sink: overrides.sink ?? this.queue,
      onFailure: overrides.onFailure ?? 'restart',
    });
    this.closers.push(() => consumer.stop().catch(() => {}));
    return consumer;
  }

  async startWorker(db: Db, overrides: { concurrency?: number; statsRefreshIntervalMs?: number } = {}): Promise<RunningWorker> {
    survivePoolErrors(db, logger);
    const worker = await startScoreWorker({
      connection: this.connection('worker'),
      queueName: this.queueName,
      concurrency: overrides.concurrency ?? 2,
      lockMs: 5000,
      db,
      classifier: await loadClassifier(),
      statsRefreshIntervalMs: overrides.statsRefreshIntervalMs ?? 500,
      asOf: () => '2026-01',
    });
    this.closers.push(() => worker.close());
    return worker;
  }

  /** How many jobs the queue holds in each state. */
  async jobCounts(): Promise<Record<'waiting' | 'active' | 'delayed' | 'completed' | 'failed', number>> {
    const c = await this.queue.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
    return {
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      completed: c.completed ?? 0,
      failed: c.failed ?? 0,
    };
  }

  async close(): Promise<void> {
    for (const close of this.closers.reverse()) await close();
    await this.producer?.disconnect();
    await this.queue.queue.obliterate({ force: true }).catch(() => {});
    await this.queue.close();
    for (const r of this.redis) await r.quit().catch(() => {});
    const admin = this.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [this.topic, this.dlqTopic] }).catch(() => {});
    await admin.deleteGroups([this.groupId]).catch(() => {});
    await admin.disconnect();
  }
}
