/**
 * What the streaming tests need from the real services (scripts/services.sh): Kafka, Redis and a
 * Postgres server. Locally, tests skip when the variables are unset; under CI=true a missing one
 * fails the test file instead (CI must run these tests, never silently skip them).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { logger } from '../../src/logger.ts';
import { type Database, openDatabase, queryRows } from '../../src/store/db.ts';

// The pipeline logs every batch at info; tests show warnings and errors unless LOG_LEVEL asks for more.
logger.level = process.env.LOG_LEVEL ?? 'warn';

const CI = process.env.CI === 'true';
const NAMES = ['KAFKA_BROKERS', 'REDIS_URL', 'TEST_DATABASE_URL'] as const;
const missing = NAMES.filter((n) => !process.env[n]);
if (CI && missing.length > 0) {
  throw new Error(`${missing.join(', ')} must be set when CI=true: the streaming tests are mandatory in CI (scripts/services.sh)`);
}

/** True when the tests of this folder cannot run here (only outside CI). */
export const servicesMissing = missing.length > 0;

export const services = {
  brokers: () => process.env.KAFKA_BROKERS!.split(','),
  redisUrl: () => process.env.REDIS_URL!,
  serverUrl: () => process.env.TEST_DATABASE_URL!,
};

/** A name no other test (or earlier run) uses: topics, groups and queues never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export interface FreshDatabase {
  url: string;
  database: Database;
  dispose(): Promise<void>;
}

/** A new, migrated database on the test server, dropped by `dispose`. */
export async function freshDatabase(): Promise<FreshDatabase> {
  const admin = services.serverUrl();
  const name = `cv_stream_${randomBytes(6).toString('hex')}`;
  await adminQuery(admin, `CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString() });
  await database.migrate();
  return {
    url: url.toString(),
    database,
    async dispose() {
      await database.close();
      await adminQuery(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export interface RowCounts {
  profiles: number;
  positions: number;
  predictions: number;
  careerFeatures: number;
  deadLetters: number;
}

export async function rowCounts(database: Database): Promise<RowCounts> {
  const [row] = await queryRows<RowCounts>(database.db, sql`
    select (select count(*)::int from profiles) as "profiles",
           (select count(*)::int from positions) as "positions",
           (select count(*)::int from predictions) as "predictions",
           (select count(*)::int from career_features) as "careerFeatures",
           (select count(*)::int from dead_letters) as "deadLetters"`);
  return row!;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
