/**
 * The dashboard server: Bull Board, probes, metrics, the classify API and the analytics page.
 * Built from its dependencies (database, classifier, queues, checks), so tests build it against
 * their own services and `cv-pipeline serve` against the configured ones.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from 'fastify';
import { z } from 'zod';
import { classifierStatus } from '../classify/load-classifier.ts';
import { readDashboard } from '../reporting/dashboard-data.ts';
import type { TitleClassifier } from '../domain/prediction.ts';
import { describeIssues } from '../domain/profile.ts';
import { logger } from '../logger.ts';
import type { Db } from '../store/db.ts';
import { renderAnalyticsPage } from './analytics-page.ts';
import { correctionSource } from '../store/corrections.ts';
import { reviewQueueSource } from '../store/review-queue.ts';
import { type Credentials, basicAuthHook } from './auth.ts';
import { registerClassifyRoute } from './classify-route.ts';
import { registerWorkbenchApi } from './workbench-api.ts';
import { csrfSecret } from './csrf.ts';
import { type Check, runCheck } from './health.ts';
import type { Metrics } from './metrics.ts';
import type { StreamingProbe } from './streaming-status.ts';

export const BULL_BOARD_PATH = '/admin/queues';

export interface ServerDeps {
  /** Reads (a replica where READ_DATABASE_URL is set). */
  db: Db;
  /** Writes (corrections): the primary; default `db`. */
  writeDb?: Db;
  classifier: TitleClassifier;
  /** Shown in Bull Board (the scoring queue and the backfill queue). */
  queues: readonly Queue[];
  /** null: that dependency is not configured (reported as such, not counted against readiness). */
  checks: { postgres: Check; redis: Check | null; kafka: Check | null };
  /** The stream's lag and unstored ranges (null: Kafka not configured). */
  streaming?: StreamingProbe | null;
  /** The editor, or the editor and a viewer (auth.ts); null only in development mode: then nothing asks for credentials. */
  credentials: Credentials | readonly Credentials[] | null;
  metrics: Metrics;
}

const AnalyticsQuery = z.object({ model: z.string().min(1).max(200).optional() });

/** The analytics page runs no script and loads nothing: the policy says so to the browser. */
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'none'";

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  // (pino's Logger type is stricter than Fastify's logger interface; the instance fits it at run time)
  // Requests are measured in /metrics; logging each one as well would only be noise.
  const app = Fastify({
    loggerInstance: logger.child({ component: 'server' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });

  const users = deps.credentials === null ? null : Array.isArray(deps.credentials) ? deps.credentials : [deps.credentials as Credentials];
  app.addHook('onRequest', basicAuthHook(users));
  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.observeHttp(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000);
  });
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) request.log.error({ err, url: request.url }, 'request failed');
    // Fastify's own 4xx (malformed JSON, body too large, wrong content type) say what was wrong.
    void reply.code(status).send({ error: status >= 500 ? 'internal error (see the server log)' : err.message });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const [postgres, redis, kafka, streaming] = await Promise.all([
      runCheck(deps.checks.postgres),
      runCheck(deps.checks.redis),
      runCheck(deps.checks.kafka),
      deps.streaming ? deps.streaming().catch((err: Error) => ({ error: err.message })) : null,
    ]);
    const checks = { postgres, redis, kafka };
    const ready = Object.values(checks).every((c) => c.status !== 'error');
    // A classifier serving without its sentence encoder still scores (degraded), and a lagging stream
    // is busy, not broken: both are reported, not failed.
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not ready', checks, classifier: classifierStatus(deps.classifier), streaming });
  });
  app.get('/metrics', async (_request, reply) => {
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  // Read from the primary: a correction shows in POST /classify at once, whatever the replica's lag.
  const corrections = correctionSource(deps.writeDb ?? deps.db);
  registerClassifyRoute(app, deps.classifier, deps.metrics, corrections);
  registerWorkbenchApi(app, {
    db: deps.db,
    writeDb: deps.writeDb ?? deps.db,
    classifier: deps.classifier,
    corrections,
    reviewQueue: reviewQueueSource(deps.db),
    redisConfigured: deps.checks.redis !== null,
    csrfSecret: csrfSecret(users),
  });

  app.get('/', async (_request, reply) => reply.redirect('/analytics'));
  app.get('/analytics', async (request, reply) => {
    const query = AnalyticsQuery.safeParse(request.query);
    if (!query.success) return reply.code(400).send({ error: `invalid query: ${describeIssues(query.error)}` });
    const data = await readDashboard(deps.db, query.data.model ?? null);
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', PAGE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-store')
      .send(renderAnalyticsPage(data));
  });

  const board = new FastifyAdapter();
  board.setBasePath(BULL_BOARD_PATH);
  createBullBoard({ queues: deps.queues.map((q) => new BullMQAdapter(q)), serverAdapter: board });
  await app.register(board.registerPlugin(), { prefix: BULL_BOARD_PATH });

  return app;
}
