/**
 * The long-running commands started while a dependency is down: they wait, saying so, with backoff,
 * and start working once it is back; they never exit for it.
 */
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { CliProcess } from './cli-process.ts';
import { type FreshDatabase, freshDatabase, services, servicesMissing, uniqueName, waitFor } from './services.ts';
import { TcpProxy } from './tcp-proxy.ts';

describe.skipIf(servicesMissing)('commands started while a dependency is down', () => {
  const processes: CliProcess[] = [];
  let fresh: FreshDatabase | undefined;
  afterAll(async () => {
    for (const p of processes) p.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await fresh?.dispose();
  });
  const start = (args: string[], env: Record<string, string>) => {
    const p = new CliProcess(args, env);
    processes.push(p);
    return p;
  };
  const attempts = (p: CliProcess, what: string) => p.lines.filter((l) => l.includes(`"msg":"waiting for ${what}"`)).length;

  it('work waits for Postgres, then runs', { timeout: 120_000 }, async () => {
    fresh = await freshDatabase();
    const target = new URL(fresh.url);
    const proxy = new TcpProxy(target.hostname, Number(target.port));
    await proxy.open();
    const url = new URL(fresh.url);
    url.port = String(proxy.port);
    await proxy.close(); // the port now refuses connections: Postgres is "down"
    const worker = start(['work'], { DATABASE_URL: url.toString(), REDIS_URL: services.redisUrl(), QUEUE_NAME: uniqueName('startup') });
    await waitFor('two attempts logged', async () => attempts(worker, 'Postgres') >= 2, 60_000, 200);
    expect(worker.child.exitCode).toBeNull();
    await proxy.reopen();
    await worker.waitForLog('worker running', 60_000);
    worker.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    await proxy.close();
  });

  it('consume waits for Redis, then runs', { timeout: 120_000 }, async () => {
    fresh ??= await freshDatabase();
    // A port nothing listens on, taken over by a proxy to the real Redis once the consumer waits.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const redis = new URL(services.redisUrl());
    const proxy = new TcpProxy(redis.hostname, Number(redis.port));
    proxy.port = port;
    const topic = uniqueName('cv-startup');
    const consumer = start(['consume'], {
      DATABASE_URL: fresh.url,
      REDIS_URL: `redis://127.0.0.1:${port}`,
      KAFKA_BROKERS: services.brokers().join(','),
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: `${topic}.dlq`,
      KAFKA_GROUP_ID: uniqueName('cv-startup-group'),
      QUEUE_NAME: uniqueName('startup'),
    });
    await waitFor('two attempts logged', async () => attempts(consumer, 'Redis') >= 2, 60_000, 200);
    expect(consumer.child.exitCode).toBeNull();
    await proxy.open();
    await consumer.waitForLog('consumer running', 60_000);
    consumer.kill('SIGTERM');
    expect(await consumer.exited).toEqual({ code: 0, signal: null });
    await proxy.close();
  });
});
