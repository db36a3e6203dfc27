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
