import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Queue } from 'bullmq';
import { type Env, brokerList } from '../../config.ts';
import type { Credentials } from '../../server/auth.ts';
import { classifierSource, env, openMigratedDatabase, openReadDatabase } from '../context.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'run the dashboard: analytics page (/analytics), Bull Board (/admin/queues), /healthz, /readyz, /metrics and POST /classify; basic auth from DASHBOARD_USER/DASHBOARD_PASSWORD',
    )
    .option('-p, --port <port>', 'port to listen on (default: DASHBOARD_PORT, 3000; 0 = any free port)', port)
    .option('--host <host>', 'address to listen on (default: DASHBOARD_HOST, 0.0.0.0; 127.0.0.1 with --dev and no credentials)')
    .option('--dev', 'development mode: start without credentials (no authentication), listening on 127.0.0.1 only')
    .action(async (opts: { port?: number; host?: string; dev?: boolean }) => {
      const config = env();
      const { logger } = await import('../../logger.ts');
      const credentials = dashboardCredentials(config, opts.dev === true, logger);
      const { loadClassifier } = await import('../../classify/load-classifier.ts');
      const { survivePoolErrors } = await import('../../store/pool-errors.ts');
      const { redisConnection } = await import('../../runtime/redis-connection.ts');
      const { Resources } = await import('../../runtime/resources.ts');
      const { BULL_BOARD_PATH, buildServer } = await import('../../server/app.ts');
      const { kafkaCheck, postgresCheck, redisCheck } = await import('../../server/health.ts');
      const { createMetrics } = await import('../../server/metrics.ts');
      const { streamingProbe } = await import('../../server/streaming-status.ts');
      const { closeRedis, openDashboardQueues } = await import('../../server/queues.ts');
      const { waitForDependency } = await import('../../runtime/wait-for-dependency.ts');
      const host = opts.host ?? (credentials === null ? '127.0.0.1' : config.DASHBOARD_HOST);
      const classifier = await loadClassifier(classifierSource());
      const resources = new Resources();
      const database = resources.add('Postgres', await waitForDependency('Postgres', () => openReadDatabase(config)), (d) => d.close());
      survivePoolErrors(database.db, logger.child({ component: 'postgres' }));
      // Corrections are written to the primary (migrated) even where the reads go to a replica.
      const primary = config.READ_DATABASE_URL
        ? resources.add('Postgres (primary)', await waitForDependency('Postgres', () => openMigratedDatabase(config)), (d) => d.close())
        : database;
      if (primary !== database) survivePoolErrors(primary.db, logger.child({ component: 'postgres' }));
      const redis = config.REDIS_URL ? resources.add('Redis', redisConnection(config.REDIS_URL, 'queue'), closeRedis) : null;
      const queues: Queue[] = redis ? openDashboardQueues(redis, { score: config.QUEUE_NAME, backfill: config.BACKFILL_QUEUE_NAME }) : [];
      resources.add('dashboard queues', queues, (qs) => Promise.all(qs.map((q) => q.close())));
      if (!redis) logger.warn('REDIS_URL is not set: Bull Board shows no queues and /metrics no job figures');
      const streaming = config.KAFKA_BROKERS
        ? streamingProbe({ brokers: brokerList(config.KAFKA_BROKERS), topic: config.KAFKA_TOPIC, groupId: config.KAFKA_GROUP_ID, db: database.db })
        : null;
      const metrics = resources.add('metrics', createMetrics({
        streaming,
        db: database.db,
        queues,
        eventConnection: config.REDIS_URL ? () => redisConnection(config.REDIS_URL!, 'worker') : null,
      }), (m) => m.close());
      const app = resources.add('HTTP server', await buildServer({
        db: database.db,
        writeDb: primary.db,
        classifier,
        queues,
        checks: {
          postgres: postgresCheck(database.db),
          redis: redis ? redisCheck(redis) : null,
          kafka: config.KAFKA_BROKERS ? kafkaCheck(brokerList(config.KAFKA_BROKERS)) : null,
        },
        credentials,
        metrics,
        streaming,
      }), (a) => a.close());
      const address = await resources.starting(() => app.listen({ port: opts.port ?? config.DASHBOARD_PORT, host }));
      logger.info(
        { url: `${address}/analytics`, queues: `${address}${BULL_BOARD_PATH}`, auth: credentials ? 'basic' : 'none (dev mode)', modelVersion: classifier.modelVersion },
        'dashboard listening',
      );
      await resources.untilSignal();
      logger.info('dashboard stopped');
    });
}

/**
 * Both variables, or (only in dev mode) neither. Refusing to start is the point: a dashboard that
 * can retry and delete jobs must never come up open by accident.
 */
export function dashboardCredentials(config: Env, dev: boolean, log: { warn(msg: string): void }): Credentials[] | null {
  const { DASHBOARD_USER: user, DASHBOARD_PASSWORD: password, DASHBOARD_VIEWER_USER: viewer, DASHBOARD_VIEWER_PASSWORD: viewerPassword } = config;
  if (!viewer !== !viewerPassword) throw new Error('set both DASHBOARD_VIEWER_USER and DASHBOARD_VIEWER_PASSWORD, or neither');
  if (viewer && viewer === user) throw new Error('DASHBOARD_VIEWER_USER must differ from DASHBOARD_USER');
  const viewers: Credentials[] = viewer && viewerPassword ? [{ user: viewer, password: viewerPassword, role: 'viewer' }] : [];
  if (user && password) return [{ user, password, role: 'editor' }, ...viewers];
  if (user || password) throw new Error('set both DASHBOARD_USER and DASHBOARD_PASSWORD, or neither (with --dev)');
  if (!dev) {
    throw new Error('`serve` needs DASHBOARD_USER and DASHBOARD_PASSWORD (basic auth); for a local dashboard without authentication run `cv-pipeline serve --dev`');
  }
  log.warn('development mode: the dashboard asks for no credentials and listens on 127.0.0.1 unless --host says otherwise');
  return null;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number 0-65535');
  return n;
}
