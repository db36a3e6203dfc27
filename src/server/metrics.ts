/**
 * Prometheus metrics of the dashboard process (`/metrics`), in a registry of its own.
 *
 * - Queue state is read from Redis at scrape time (jobs per queue and state); job durations are
 *   observed from BullMQ's queue events as jobs finish, so every worker's jobs are counted
 *   wherever the worker runs.
 * - Scoring volumes (positions scored, fallback rate, class counts, drift) are read from the
 *   statistics tables, cached for a few seconds so frequent scrapes cost the database nothing.
 * - /classify requests of this process are counted directly.
 */
import { type Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PositionPrediction } from '../domain/prediction.ts';
import { TASKS } from '../domain/labels.ts';
import { logger } from '../logger.ts';
import type { Db } from '../store/db.ts';
import { queryFile } from '../store/sql-file.ts';
import type { StreamingProbe, StreamingStatus } from './streaming-status.ts';

const JOB_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'paused', 'prioritized', 'waiting-children'] as const;
const DB_CACHE_MS = 5000;
const QUEUE_COUNTS_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  promise.catch(() => {}); // a late failure after the timeout is of no interest
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface DbSnapshot {
  models: { model_version: string; positions: number; profiles: number; seniority_fallback_rate: number; department_fallback_rate: number }[];
  classes: { model_version: string; task: string; label: string; n: number }[];
  drift: { model_version: string; task: string; psi: number; js: number }[];
}

export interface Metrics {
  registry: Registry;
  observeClassify(predictions: readonly PositionPrediction[], seconds: number): void;
  observeHttp(route: string, method: string, status: number, seconds: number): void;
  /** Stops watching queue events. */
  close(): Promise<void>;
}

export interface MetricsOptions {
  db: Db;
  queues: readonly Queue[];
  /** Creates a Redis connection for BullMQ's queue events (blocking reads need their own); null: no job durations. */
  eventConnection: (() => Redis) | null;
  /** The stream's lag and unstored ranges; null: Kafka not configured. */
  streaming?: StreamingProbe | null;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cv_pipeline_process_' });

  new Gauge({
    name: 'cv_pipeline_queue_jobs',
    help: 'Jobs in each BullMQ queue by state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        options.queues.map(async (queue) => {
          try {
            // Bounded: with Redis away, ioredis would hold the command (and the scrape) for its retries.
            const counts = await withTimeout(queue.getJobCounts(...JOB_STATES), QUEUE_COUNTS_TIMEOUT_MS);
            for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
          } catch (err) {
            logger.debug({ queue: queue.name, err: (err as Error).message }, 'metrics: queue counts unavailable');
          }
        }),
      );
    },
  });
  const streaming = options.streaming;
  if (streaming) {
    // One probe per scrape for the three gauges (prom-client collects them one after the other).
    let last: { at: number; value: Promise<StreamingStatus> } | null = null;
    const probe = () => {
      if (!last || Date.now() - last.at > 1000) last = { at: Date.now(), value: streaming() };
      return last.value;
    };
    const fromStream = (name: string, help: string, value: (s: StreamingStatus) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['topic', 'group'],
        registers: [registry],
        async collect() {
          this.reset();
          try {
            const s = await probe();
            const v = value(s);
            if (v !== null) this.set({ topic: s.topic, group: s.groupId }, v);
          } catch (err) {
            logger.debug({ metric: name, err: (err as Error).message }, 'metrics: stream status unavailable');
          }
        },
      });
    fromStream('cv_pipeline_stream_lag_messages', 'Messages of the topic not yet committed by the group, i.e. not yet stored in Postgres', (s) => s.lag);
    fromStream('cv_pipeline_stream_unstored_ranges', 'Offset ranges queued in Redis whose rows Postgres does not hold yet', (s) => s.unstoredRanges);
    fromStream('cv_pipeline_stream_oldest_unstored_age_seconds', 'Age of the oldest message queued but not yet stored (0: none)', (s) => s.oldestUnstoredAgeSeconds ?? 0);
  }
  const jobDuration = new Histogram({
    name: 'cv_pipeline_job_duration_seconds',
    help: 'Processing time of finished BullMQ jobs (processed to finished), by queue and outcome',
    labelNames: ['queue', 'status'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200],
    registers: [registry],
  });

  let snapshot: { at: number; value: Promise<DbSnapshot> } | null = null;
  const readSnapshot = (): Promise<DbSnapshot> => {
    if (!snapshot || Date.now() - snapshot.at > DB_CACHE_MS) {
      snapshot = { at: Date.now(), value: readDbSnapshot(options.db) };
      snapshot.value.catch(() => {
        snapshot = null;
      });
    }
    return snapshot.value;
  };
  const fromDb = (name: string, help: string, labelNames: string[], fill: (g: Gauge, s: DbSnapshot) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        try {
          fill(this, await readSnapshot());
        } catch (err) {
          logger.debug({ metric: name, err: (err as Error).message }, 'metrics: database unavailable');
        }
      },
    });
  fromDb('cv_pipeline_positions_scored', 'Positions with a prediction, per model version (statistics tables)', ['model_version'], (g, s) => {
    for (const m of s.models) g.set({ model_version: m.model_version }, m.positions);
  });
  fromDb('cv_pipeline_profiles_scored', 'Profiles with a prediction, per model version', ['model_version'], (g, s) => {
    for (const m of s.models) g.set({ model_version: m.model_version }, m.profiles);
  });
  fromDb('cv_pipeline_fallback_rate', 'Share of positions the keyword fallback decided, per model version and task', ['model_version', 'task'], (g, s) => {
    for (const m of s.models) {
      g.set({ model_version: m.model_version, task: 'seniority' }, m.seniority_fallback_rate);
      g.set({ model_version: m.model_version, task: 'department' }, m.department_fallback_rate);
    }
  });
  fromDb('cv_pipeline_class_positions', 'Positions per predicted class, per model version and task', ['model_version', 'task', 'label'], (g, s) => {
    for (const c of s.classes) g.set({ model_version: c.model_version, task: c.task, label: c.label }, c.n);
  });
  fromDb('cv_pipeline_drift_psi', 'Population stability index of the predicted classes against the training distribution', ['model_version', 'task'], (g, s) => {
    for (const d of s.drift) g.set({ model_version: d.model_version, task: d.task }, d.psi);
  });

  const classified = new Counter({
    name: 'cv_pipeline_classify_titles_total',
    help: 'Titles classified by POST /classify, by task, class and deciding source',
    labelNames: ['task', 'label', 'source'],
    registers: [registry],
  });
  const classifyDuration = new Histogram({
    name: 'cv_pipeline_classify_batch_seconds',
    help: 'Scoring time of one POST /classify batch',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const http = new Histogram({
    name: 'cv_pipeline_http_request_duration_seconds',
    help: 'HTTP requests of the dashboard server',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  const watchers = options.eventConnection ? options.queues.map((q) => watchJobDurations(q, options.eventConnection!(), jobDuration)) : [];

  return {
    registry,
    observeClassify(predictions, seconds) {
      classifyDuration.observe(seconds);
      for (const p of predictions) for (const task of TASKS) classified.inc({ task, label: p[task].label, source: p[task].source });
    },
    observeHttp(route, method, status, seconds) {
      http.observe({ route, method, status: String(status) }, seconds);
    },
    async close() {
      await Promise.all(watchers.map((w) => w.close()));
    },
  };
}

/** Observes each finished job's processing time; the job is read back for its timestamps. */
function watchJobDurations(queue: Queue, connection: Redis, histogram: Histogram): { close(): Promise<void> } {
  const events = new QueueEvents(queue.name, { connection });
  const observe = async (jobId: string, status: 'completed' | 'failed') => {
    const job = await queue.getJob(jobId);
    if (job?.processedOn && job.finishedOn) histogram.observe({ queue: queue.name, status }, (job.finishedOn - job.processedOn) / 1000);
  };
  const log = (err: unknown) => logger.debug({ queue: queue.name, err: (err as Error).message }, 'metrics: job duration unavailable');
  events.on('completed', ({ jobId }) => void observe(jobId, 'completed').catch(log));
  events.on('failed', ({ jobId }) => void observe(jobId, 'failed').catch(log));
  events.on('error', (err) => logger.warn({ queue: queue.name, err: err.message }, 'metrics: queue events error'));
  return {
    async close() {
      // QueueEvents.close() waits for Redis: with Redis away it would never return, and shutdown
      // must not depend on Redis. Bounded, then the connection is dropped either way.
      await withTimeout(events.close(), 2000).catch(() => {});
      connection.disconnect();
    },
  };
}

async function readDbSnapshot(db: Db): Promise<DbSnapshot> {
  return {
    models: await queryFile(db, 'metrics/model-stats.sql'),
    classes: await queryFile(db, 'metrics/class-counts.sql'),
    drift: await queryFile(db, 'metrics/drift.sql'),
  };
}
