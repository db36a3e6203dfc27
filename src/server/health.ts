/**
 * Readiness checks: can this process reach what it depends on? Each check is bounded by a timeout
 * so a hung dependency makes /readyz answer "not ready" quickly instead of hanging the probe.
 */
import kafkajs from 'kafkajs';
import type { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import type { Db } from '../store/db.ts';

export type CheckResult = { status: 'ok'; ms: number } | { status: 'error'; error: string; ms: number } | { status: 'not configured' };

export type Check = () => Promise<void>;

const CHECK_TIMEOUT_MS = 3000;

export async function runCheck(check: Check | null, timeoutMs = CHECK_TIMEOUT_MS): Promise<CheckResult> {
  if (check === null) return { status: 'not configured' };
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const checking = check();
  // A check that fails after its timeout has been answered already: its late rejection is moot.
  checking.catch(() => {});
  try {
    await Promise.race([
      checking,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'ok', ms: Math.round(performance.now() - t0) };
  } catch (err) {
    return { status: 'error', error: (err as Error).message, ms: Math.round(performance.now() - t0) };
  } finally {
    clearTimeout(timer);
  }
}

export const postgresCheck = (db: Db): Check => async () => {
  await db.execute(sql`select 1`);
};

export const redisCheck = (redis: Redis): Check => async () => {
  const answer = await redis.ping();
  if (answer !== 'PONG') throw new Error(`PING answered ${answer}`);
};

/**
 * An admin client of its own for a probe, silent and with short timeouts: the probe reports the
 * broker's state now, not after kafkajs' backoff. `retries`: 0, or a few quick ones where a call
 * needs a lookup first (a group coordinator).
 */
export function probeAdmin(brokers: string[], clientId: string, retries = 0) {
  const kafka = new kafkajs.Kafka({
    clientId,
    brokers,
    connectionTimeout: 2000,
    requestTimeout: 2000,
    retry: { retries, initialRetryTime: 100, maxRetryTime: 500 },
    logLevel: kafkajs.logLevel.NOTHING,
  });
  return kafka.admin();
}

/** Connects an admin client and asks for the cluster's brokers. */
export const kafkaCheck = (brokers: string[]): Check => async () => {
  const admin = probeAdmin(brokers, 'cv-pipeline-readyz');
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) throw new Error('the cluster reports no brokers');
  } finally {
    await admin.disconnect().catch(() => {});
  }
};
