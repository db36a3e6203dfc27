import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeReferenceDistribution, toShares } from '../../src/store/reference-distribution.ts';
import { KeywordClassifier } from '../../src/classify/keywords.ts';
import { logger } from '../../src/logger.ts';
import { MAX_CLASSIFY_TITLES } from '../../src/server/classify-route.ts';
import { kafkaCheck } from '../../src/server/health.ts';
import type { Database } from '../../src/store/db.ts';
import { DATASET_MODEL, loadDataset } from '../helpers/career-dataset.ts';
import { type TestDashboard, basicAuth, startTestDashboard } from '../helpers/dashboard-server.ts';
import { testDatabaseKinds } from '../helpers/databases.ts';
import { missingServices } from '../helpers/required-services.ts';
import { keywordConfig } from '../helpers/text.ts';

logger.level = process.env.LOG_LEVEL ?? 'warn';
const noServices = missingServices(['REDIS_URL', 'KAFKA_BROKERS', 'TEST_DATABASE_URL'], 'the dashboard tests against real services');

const credentials = { user: 'analyst', password: 'correct horse battery staple' };
const AUTH = { authorization: basicAuth(credentials.user, credentials.password) };
const suffix = randomBytes(4).toString('hex');
const queueNames = { score: `score-${suffix}`, backfill: `backfill-${suffix}` };

describe('the dashboard server', () => {
  let database: Database;
  let dispose: () => Promise<void>;
  let dashboard: TestDashboard;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${dashboard.url}${path}`, { headers, redirect: 'manual' });
  const classify = (body: string, headers: Record<string, string> = AUTH, contentType = 'application/json') =>
    fetch(`${dashboard.url}/classify`, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });

  beforeAll(async () => {
    // The server database when there is one (as in production), else the embedded one.
    ({ database, dispose } = await testDatabaseKinds[testDatabaseKinds.length - 1]!.open());
    await storeReferenceDistribution(database.db, DATASET_MODEL, { seniority: toShares('seniority', { Professional: 1, Lead: 1 }) }, 'test');
    await loadDataset(database.db);
    dashboard = await startTestDashboard({ db: database.db, classifier: new KeywordClassifier(keywordConfig), credentials, queueNames });
  });
  afterAll(async () => {
    await dashboard?.close();
    await dispose?.();
  });

  it.each(['/analytics', '/admin/queues', '/admin/queues/api/queues', '/'])('answers 401 with a basic-auth challenge on %s without credentials', async (path) => {
    const res = await get(path);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="cv-pipeline", charset="UTF-8"');
    expect(await res.json()).toEqual({ error: 'authentication required' });
  });

  it.each([
    ['a wrong password', basicAuth(credentials.user, 'correct horse battery stapler')],
    ['a wrong user', basicAuth('admin', credentials.password)],
    ['no colon', `Basic ${Buffer.from('analyst').toString('base64')}`],
    ['another scheme', 'Bearer abc'],
  ])('answers 401 to %s', async (_what, header) => {
    expect((await get('/analytics', { authorization: header })).status).toBe(401);
  });

  it('answers 401 to POST /classify without credentials', async () => {
    expect((await classify('{"titles":["CEO"]}', {})).status).toBe(401);
  });

  it('serves the analytics page and Bull Board with credentials', async () => {
    const page = await get('/analytics', AUTH);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain(`<strong id="model-version">${DATASET_MODEL}</strong>`);
    const board = await get('/admin/queues', AUTH);
    expect(board.status).toBe(200);
    expect(await board.text()).toContain('<base href="/admin/queues/" />');
    expect((await get('/', AUTH)).headers.get('location')).toBe('/analytics');
  });

  it.skipIf(noServices)('lists the scoring and backfill queues in Bull Board', async () => {
    const res = await get('/admin/queues/api/queues', AUTH);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { queues: { name: string }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual([queueNames.backfill, queueNames.score].sort());
  });

  it('answers /healthz without credentials', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it.skipIf(noServices)('is ready when Postgres, Redis and Kafka answer', async () => {
    const res = await get('/readyz');
    const body = (await res.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(body.status).toBe('ready');
    expect(Object.fromEntries(Object.entries(body.checks).map(([k, v]) => [k, v.status]))).toEqual({ postgres: 'ok', redis: 'ok', kafka: 'ok' });
    expect(res.status).toBe(200);
  });

  it('is not ready (503, with the reason) when a dependency does not answer', async () => {
    const broken = await startTestDashboard({ db: database.db, classifier: new KeywordClassifier(keywordConfig), credentials, kafka: kafkaCheck(['127.0.0.1:1']) });
    try {
      const res = await fetch(`${broken.url}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as {
        status: string;
        checks: { kafka: { status: string; error: string }; postgres: { status: string } };
        classifier: { modelVersion: string; encoder: unknown };
      };
      expect(body.status).toBe('not ready');
      // The classifier is reported too (a keyword classifier has no sentence encoder to report).
      expect(body.classifier).toEqual({ modelVersion: new KeywordClassifier(keywordConfig).modelVersion, encoder: null });
      expect(body.checks.postgres.status).toBe('ok');
      expect(body.checks.kafka.status).toBe('error');
      expect(body.checks.kafka.error).not.toBe('');
    } finally {
      await broken.close();
    }
  });

  it('stays up while Redis is unreachable: not ready, but the page and /metrics answer', async () => {
    const cut = await startTestDashboard({
      db: database.db,
      classifier: new KeywordClassifier(keywordConfig),
      credentials,
      queueNames,
      redisUrl: 'redis://127.0.0.1:1',
      kafka: null,
    });
    try {
      const ready = await fetch(`${cut.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: { redis: { status: string } } }).checks.redis.status).toBe('error');
      const started = Date.now();
      const metrics = await (await fetch(`${cut.url}/metrics`)).text();
      expect(Date.now() - started).toBeLessThan(5000);
      expect(metrics).toContain(`cv_pipeline_positions_scored{model_version="${DATASET_MODEL}"} 9`);
      expect((await fetch(`${cut.url}/analytics`, { headers: AUTH })).status).toBe(200);
    } finally {
      await cut.close();
    }
  });

  it('classifies a batch of titles with the same core as every entry point', async () => {
    const res = await classify(JSON.stringify({ titles: ['Senior Software Engineer', { title: 'Leiterin Vertrieb', organization: 'ACME GmbH' }] }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { modelVersion: string; results: { title: string; organization: string | null; seniority: { label: string }; department: { label: string; source: string } }[] };
    expect(body.modelVersion).toBe(new KeywordClassifier(keywordConfig).modelVersion);
    expect(body.results.map((r) => [r.title, r.organization, r.seniority.label, r.department.label])).toEqual([
      ['Senior Software Engineer', null, 'Senior', 'Information Technology'],
      ['Leiterin Vertrieb', 'ACME GmbH', 'Lead', 'Sales'],
    ]);
  });

  it.each([
    ['no body fields', '{}', /^invalid request: titles: /],
    ['no titles', '{"titles":[]}', /^invalid request: titles: has no titles$/],
    ['titles that are not a list', '{"titles":"CEO"}', /^invalid request: titles: /],
    ['an empty title', '{"titles":["  "]}', /^invalid request: titles\[0\]: /],
    ['a title over 300 characters', JSON.stringify({ titles: ['CEO', 'x'.repeat(301)] }), /^invalid request: titles\[1\]: /],
    ['control characters', JSON.stringify({ titles: ['CEO\u0007'] }), /^invalid request: titles\[0\]: /],
    ['an unknown field', '{"titles":["CEO"],"limit":5}', /^invalid request: \(root\): Unrecognized key: "limit"$/],
    ['an object without a title', '{"titles":[{"organization":"ACME"}]}', /^invalid request: titles\[0\]/],
    ['too many titles', JSON.stringify({ titles: new Array(MAX_CLASSIFY_TITLES + 1).fill('CEO') }), /^invalid request: titles: has more than 1000 titles$/],
    ['malformed JSON', '{"titles": [', /not valid JSON/],
  ])('answers 400 with the reason to %s', async (_what, body, message) => {
    const res = await classify(body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
  });

  it('refuses a body over the size limit (413) and a body that is not JSON (415)', async () => {
    expect((await classify(JSON.stringify({ titles: ['x'.repeat(2 * 1024 * 1024)] }))).status).toBe(413);
    expect((await classify('CEO', AUTH, 'text/plain')).status).toBe(415);
  });

  it('exports Prometheus metrics with the database numbers and the classify counts', async () => {
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain(`cv_pipeline_positions_scored{model_version="${DATASET_MODEL}"} 9`);
    expect(text).toContain(`cv_pipeline_profiles_scored{model_version="${DATASET_MODEL}"} 4`);
    expect(text).toContain(`cv_pipeline_fallback_rate{model_version="${DATASET_MODEL}",task="seniority"} ${1 / 9}`);
    expect(text).toContain(`cv_pipeline_class_positions{model_version="${DATASET_MODEL}",task="seniority",label="Professional"} 3`);
    expect(text).toMatch(new RegExp(`cv_pipeline_drift_psi\\{model_version="${DATASET_MODEL}",task="seniority"\\} [0-9.]+`));
    expect(text).toContain('cv_pipeline_classify_titles_total{task="seniority",label="Senior",source="keywords"} 1');
    expect(text).toMatch(/cv_pipeline_http_request_duration_seconds_count\{route="\/classify",method="POST",status="200"\} 1/);
    if (!noServices) expect(text).toContain(`cv_pipeline_queue_jobs{queue="${queueNames.backfill}",state="waiting"} 0`);
  });
});

describe('cv-pipeline serve', () => {
  const run = promisify(execFile);
  const root = new URL('../../', import.meta.url).pathname;
  const serve = async (env: Record<string, string>) => {
    const { DASHBOARD_USER: _user, DASHBOARD_PASSWORD: _password, ...inherited } = process.env;
    const base = { ...inherited, LOG_LEVEL: 'warn', ...env };
    return run('node', ['bin/cv-pipeline.js', 'serve', '--port', '0'], { cwd: root, env: base, timeout: 30_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
  };

  it('refuses to start without credentials unless in development mode', async () => {
    const none = await serve({});
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('`serve` needs DASHBOARD_USER and DASHBOARD_PASSWORD (basic auth); for a local dashboard without authentication run `cv-pipeline serve --dev`');
    const half = await serve({ DASHBOARD_USER: 'analyst' });
    expect(half.code).toBe(1);
    expect(half.stderr).toContain('set both DASHBOARD_USER and DASHBOARD_PASSWORD, or neither (with --dev)');
    const weak = await serve({ DASHBOARD_USER: 'analyst', DASHBOARD_PASSWORD: 'short' });
    expect(weak.stderr).toContain('DASHBOARD_PASSWORD: must be at least 12 characters');
  });
});
