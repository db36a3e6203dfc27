/**
 * All runtime configuration, read from the environment once and validated, so a wrong value stops
 * the program at start with a message that names the variable.
 *
 * The streaming keys (Kafka, Redis, queue, worker) all have defaults or are optional, so commands
 * that do not stream never trip over them; the streaming commands ask for what they need with
 * `requireEnv`, which names the missing variable and the command that needs it.
 */
import cronParser from 'cron-parser';
import { z } from 'zod';
import { describeIssues } from './domain/profile.ts';

/** A folder; unset or empty: the default. */
const optionalPath = z
  .string()
  .optional()
  .transform((v) => v || undefined);
const positiveInt = z.coerce.number().int().positive({ message: 'must be a positive integer' });
const nonNegativeInt = z.coerce.number().int().min(0, { message: 'must be an integer >= 0' });
/** Kafka's own rule for topic names; it also keeps ':' out of the BullMQ job ids built from them. */
const topicName = z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, { message: 'must be 1-249 characters of a-z A-Z 0-9 . _ -' });

const LogLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

const EnvSchema = z.object({
  /** A Postgres server; when unset the embedded PGlite database in PGLITE_DIR is used. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'must start with postgres:// or postgresql://' })
    .optional(),
  /**
   * A read replica (or any server holding the same database) for the commands that only read:
   * `serve` and `analytics`. They never migrate it; the writers migrate DATABASE_URL.
   */
  READ_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'must start with postgres:// or postgresql://' })
    .optional(),
  PGLITE_DIR: z.string().min(1).default('.data/pglite'),
  LOG_LEVEL: LogLevelSchema,
  /** Folder with the data files of ../shared/data (evaluation and training only). */
  CV_DATA_DIR: z.string().optional(),
  /** The model every command serves (default: models/ of this checkout; none there: the keyword rules). */
  MODELS_DIR: optionalPath,
  /** The sentence encoder (default: models/encoder of this checkout, where `npm run models:encoder` puts it). */
  ENCODER_DIR: optionalPath,
  /**
   * How much of the sentence encoder serves (src/classify/ensemble.ts): `cascade` (the pool without
   * it on every title, the encoder only where that pool is unsure), `full` (the encoder on every
   * title), `off` (the encoder never loaded: the least memory).
   */
  ENCODER_MODE: z.enum(['cascade', 'full', 'off']).default('cascade'),

  // --- streaming (consume / work / produce) --------------------------------------------------
  /** Comma-separated host:port list of Kafka bootstrap brokers. */
  KAFKA_BROKERS: z
    .string()
    .regex(/^[^\s,:]+:\d{1,5}(,[^\s,:]+:\d{1,5})*$/, { message: 'must be host:port[,host:port...], e.g. 127.0.0.1:9092' })
    .optional(),
  KAFKA_CLIENT_ID: z.string().min(1).default('cv-pipeline'),
  KAFKA_TOPIC: topicName.default('cv-profiles'),
  KAFKA_DLQ_TOPIC: topicName.default('cv-profiles.dlq'),
  KAFKA_GROUP_ID: z.string().min(1).default('cv-pipeline'),
  /** Partitions of the topics when `consume` or `produce` creates them (the most consumers that can share the load). */
  KAFKA_TOPIC_PARTITIONS: positiveInt.default(6),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, { message: 'must start with redis:// or rediss://' }).optional(),
  /** BullMQ queue of scoring jobs; BullMQ uses ':' as its key separator, so names may not contain one. */
  QUEUE_NAME: z.string().regex(/^[^:\s]+$/, { message: 'must not contain ":" or spaces' }).default('score'),
  /** Kafka messages (profiles and rejects) per scoring job. */
  JOB_BATCH_SIZE: positiveInt.default(250),
  /** Tries per job before it is parked in the failed set (the first try included). */
  JOB_ATTEMPTS: positiveInt.default(10),
  /** First retry delay; each further retry doubles it (10 attempts span about 8.5 minutes). */
  JOB_BACKOFF_MS: positiveInt.default(1000),
  /** Jobs one worker process runs at the same time. */
  WORKER_CONCURRENCY: positiveInt.default(2),
  /** How long a job's lock lives without renewal; a worker that died is noticed after about this long. */
  WORKER_LOCK_MS: positiveInt.default(30_000),
  /** Each worker refreshes distribution statistics at most once per this many seconds (0: after every job). */
  STATS_REFRESH_INTERVAL_S: nonNegativeInt.default(30),

  // --- analytics, dashboard, backfill (serve / backfill / backfill-worker) ---------------------
  /** Population stability index above which the class distribution counts as drifted. */
  DRIFT_PSI_THRESHOLD: z.coerce.number().positive({ message: 'must be a positive number' }).default(0.2),
  /** Fewest positions an ingestion day (or the whole) needs before its drift can be flagged. */
  DRIFT_MIN_POSITIONS: nonNegativeInt.default(100),
  /** Basic-auth credentials of the dashboard; `serve` refuses to start without them unless run with --dev. */
  DASHBOARD_USER: z.string().min(1).optional(),
  DASHBOARD_PASSWORD: z.string().min(12, { message: 'must be at least 12 characters' }).optional(),
  /** A second, read-only login (optional): the workbench's viewer role, refused every write. */
  DASHBOARD_VIEWER_USER: z.string().min(1).optional(),
  DASHBOARD_VIEWER_PASSWORD: z.string().min(12, { message: 'must be at least 12 characters' }).optional(),
  DASHBOARD_HOST: z.string().min(1).default('0.0.0.0'),
  DASHBOARD_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** BullMQ queue of backfill jobs (the nightly scheduler and its worker). */
  BACKFILL_QUEUE_NAME: z.string().regex(/^[^:\s]+$/, { message: 'must not contain ":" or spaces' }).default('backfill'),
  /** When the nightly backfill runs: a cron pattern (minute hour day month weekday) in BACKFILL_TZ. */
  BACKFILL_CRON: z.string().refine(isCronPattern, { message: 'is not a cron pattern, e.g. "0 2 * * *"' }).default('0 2 * * *'),
  BACKFILL_TZ: z.string().min(1).default('UTC'),
  /** Profiles re-scored per transaction (and per persisted cursor step) by a backfill. */
  BACKFILL_BATCH_SIZE: positiveInt.default(1000),
  /** Profiles per range of a backfill run: one queue job each, the unit that worker processes share. */
  BACKFILL_RANGE_PROFILES: positiveInt.default(5000),
});
export type Env = z.infer<typeof EnvSchema>;

function isCronPattern(pattern: string): boolean {
  try {
    cronParser.parseExpression(pattern);
    return true;
  } catch {
    return false;
  }
}

/** LOG_LEVEL alone: every process entry point (the CLI, a scoring thread) sets the logger with it first. */
export function logLevel(env: NodeJS.ProcessEnv = process.env): z.infer<typeof LogLevelSchema> {
  const parsed = LogLevelSchema.safeParse(env.LOG_LEVEL);
  if (!parsed.success) throw new Error(`invalid environment: LOG_LEVEL: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

export function loadEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid environment: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

const REQUIRED_HINTS = {
  KAFKA_BROKERS: 'the Kafka brokers, e.g. KAFKA_BROKERS=127.0.0.1:9092',
  REDIS_URL: 'the Redis server of the job queue, e.g. REDIS_URL=redis://127.0.0.1:6379',
  DATABASE_URL:
    'a Postgres server, e.g. DATABASE_URL=postgres://cv:cv@127.0.0.1:5432/cv (the embedded PGlite serves one process only, and workers are many)',
} as const;
type RequirableKey = keyof typeof REQUIRED_HINTS;

/**
 * Returns the values of `keys`, or throws one error naming every unset one and what it is for, so
 * a misconfigured deployment fails at start rather than at the first message.
 */
export function requireEnv<K extends RequirableKey>(env: Env, command: string, keys: readonly K[]): { [P in K]: string } {
  const missing = keys.filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new Error(`\`${command}\` needs ${missing.map((k) => `${k} (${REQUIRED_HINTS[k]})`).join(' and ')}`);
  }
  return Object.fromEntries(keys.map((k) => [k, env[k]!])) as { [P in K]: string };
}

/** The broker list of KAFKA_BROKERS. */
export function brokerList(brokers: string): string[] {
  return brokers.split(',');
}
