/** ioredis connections for BullMQ, configured for what each side needs. */
import { Redis } from 'ioredis';
import { logger } from '../logger.ts';

/**
 * `worker`: BullMQ's blocking commands require `maxRetriesPerRequest: null` (wait for Redis as long
 * as it takes). `queue`: the producer side keeps ioredis' bounded retries, so an enqueue during a
 * Redis outage fails, the Kafka batch stays uncommitted, and the consumer retries it later.
 */
export function redisConnection(url: string, role: 'queue' | 'worker'): Redis {
  const redis = new Redis(url, role === 'worker' ? { maxRetriesPerRequest: null } : {});
  // ioredis reconnects by itself; without a listener it would print each failure to the console.
  redis.on('error', (err: Error) => logger.warn({ component: 'redis', role, err: err.message }, 'redis connection error'));
  return redis;
}

/** One PING on a connection of its own that does not retry: is Redis there now? (start-up waits) */
export async function pingRedis(url: string): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
  probe.on('error', () => {}); // the rejected connect() below reports it
  try {
    await probe.connect();
    await probe.ping();
  } finally {
    probe.disconnect();
  }
}
