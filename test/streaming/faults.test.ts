/**
 * Faults the streaming pipeline must survive without losing or duplicating a row: a worker
 * process killed with SIGKILL in the middle of a job, and Postgres unreachable for a while. The
 * worker reaches Postgres through a TCP proxy the test controls.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syntheticMessages } from '../../src/ingest/kafka/profile-producer.ts';
import { syntheticProfile } from '../../src/ingest/kafka/synthetic-profiles.ts';
import { type Database, openDatabase } from '../../src/store/db.ts';
import { CliProcess } from './cli-process.ts';
import { Harness } from './harness.ts';
import { type FreshDatabase, freshDatabase, rowCounts, servicesMissing, services, uniqueName, waitFor } from './services.ts';
import { TcpProxy } from './tcp-proxy.ts';

function positionsOf(prefix: string, n: number): number {
  let total = 0;
  for (let i = 0; i < n; i += 1) total += syntheticProfile(prefix, i).positions.length;
  return total;
}

describe.skipIf(servicesMissing)('the streaming pipeline under faults', () => {
  let fresh: FreshDatabase;
  let proxy: TcpProxy;
  let proxiedUrl: string;
  let harness: Harness;
  const processes: CliProcess[] = [];
  let proxied: Database | undefined;

  beforeEach(async () => {
    fresh = await freshDatabase();
    const target = new URL(fresh.url);
    proxy = new TcpProxy(target.hostname, Number(target.port));
    await proxy.open();
    const url = new URL(fresh.url);
    url.port = String(proxy.port);
    proxiedUrl = url.toString();
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) {
      p.kill('SIGKILL');
      await p.exited;
    }
    await harness?.close();
    await proxied?.close().catch(() => {});
    proxied = undefined;
    await proxy.close();
    await fresh.dispose();
  });

  const spawn = (args: string[], env: Record<string, string>) => {
    const p = new CliProcess(args, env);
    processes.push(p);
    return p;
  };

  it('retries the job of a worker killed with SIGKILL mid-job; final counts are exact', async () => {
    harness = new Harness({ partitions: 2, jobSize: 100 });
    await harness.createTopics();
    const prefix = uniqueName('kill');
    const n = 1500;
    const positions = positionsOf(prefix, n);
    const common = { REDIS_URL: services.redisUrl(), QUEUE_NAME: harness.queueName };
    const workerEnv = { ...common, DATABASE_URL: proxiedUrl, WORKER_CONCURRENCY: '2', WORKER_LOCK_MS: '2000', STATS_REFRESH_INTERVAL_S: '1' };
    const consumer = spawn(['consume'], {
      ...common,
      KAFKA_BROKERS: services.brokers().join(','),
      KAFKA_TOPIC: harness.topic,
      KAFKA_DLQ_TOPIC: harness.dlqTopic,
      KAFKA_GROUP_ID: harness.groupId,
      DATABASE_URL: fresh.url,
      JOB_BATCH_SIZE: '100',
      JOB_BACKOFF_MS: '200',
    });
    const first = spawn(['work'], workerEnv);
    await Promise.all([consumer.waitForLog('joined consumer group'), first.waitForLog('worker running')]);
    await harness.produce([...syntheticMessages(prefix, n)]);

    await waitFor('the first jobs stored', async () => (await rowCounts(fresh.database)).predictions > 0);
    // Freeze the worker's database traffic: its jobs in progress now hang inside their transaction.
    proxy.pause();
    const killedJobs = await waitFor('a job in progress', async () => {
      const active = await harness.queue.queue.getJobs(['active']);
      return active.length > 0 && active.map((j) => j.id!);
    });
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    proxy.resume();
    const partial = await rowCounts(fresh.database);
    expect(partial.predictions).toBeLessThan(positions);

    // A new worker finds the dead worker's jobs stalled (lock expired) and runs them again.
    const second = spawn(['work'], workerEnv);
    await waitFor('every position stored', async () => (await rowCounts(fresh.database)).predictions === positions, 60_000);
    await waitFor('an idle queue', async () => {
      const c = await harness.jobCounts();
      return c.waiting + c.active + c.delayed === 0;
    });
    expect(await rowCounts(fresh.database)).toEqual({ profiles: n, positions, predictions: positions, careerFeatures: n, deadLetters: 0 });
    expect((await harness.jobCounts()).failed).toBe(0);
    for (const id of killedJobs) {
      const job = await harness.queue.queue.getJob(id);
      expect(await job!.getState()).toBe('completed');
      expect(job!.attemptsStarted, `job ${id} started again after the kill`).toBeGreaterThanOrEqual(2);
    }
    expect(second.lines.some((l) => l.includes('job stalled'))).toBe(true);

    // Both commands shut down cleanly on SIGTERM.
    consumer.kill('SIGTERM');
    second.kill('SIGTERM');
    expect(await consumer.exited).toEqual({ code: 0, signal: null });
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });

  it('retries jobs while Postgres is unreachable and stores everything once it is back', async () => {
    harness = new Harness({ partitions: 2, jobSize: 50, attempts: 10, backoffMs: 200 });
    await harness.createTopics();
    const prefix = uniqueName('outage');
    const n = 1500;
    const positions = positionsOf(prefix, n);
    proxied = await openDatabase({ url: proxiedUrl });
    const worker = await harness.startWorker(proxied.db, { concurrency: 2, statsRefreshIntervalMs: 200 });
    let failures = 0;
    worker.worker.on('failed', () => {
      failures += 1;
    });
    await harness.startConsumer(fresh.database.db);
    await harness.produce([...syntheticMessages(prefix, n)]);

    await waitFor('the first jobs stored', async () => (await rowCounts(fresh.database)).predictions > 0);
    await proxy.close(); // Postgres is gone for the worker: connections cut, new ones refused
    const during = await rowCounts(fresh.database);
    await waitFor('jobs failing while Postgres is away', async () => failures >= 2, 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await rowCounts(fresh.database)).predictions).toBe(during.predictions); // nothing got through
    await proxy.reopen();

    await waitFor('every position stored', async () => (await rowCounts(fresh.database)).predictions === positions, 60_000);
    await waitFor('an idle queue', async () => {
      const c = await harness.jobCounts();
      return c.waiting + c.active + c.delayed === 0;
    });
    expect(during.predictions).toBeLessThan(positions);
    expect(await rowCounts(fresh.database)).toEqual({ profiles: n, positions, predictions: positions, careerFeatures: n, deadLetters: 0 });
    const counts = await harness.jobCounts();
    expect(counts.failed).toBe(0);
    const retried = (await harness.queue.queue.getJobs(['completed'])).filter((j) => j.attemptsMade > 1);
    expect(retried.length).toBeGreaterThan(0);
  });
});
