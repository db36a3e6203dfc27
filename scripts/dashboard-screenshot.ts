/**
 * The README's pictures of the analytics page and the workbench:
 *   npx tsx scripts/dashboard-screenshot.ts [--out docs/analytics-page.png] [--workbench-out docs/workbench-page.png]
 *     [--review-out docs/workbench-review.png]
 *
 * Builds a throwaway embedded database the way a user would fill one: the synthetic examples scored
 * by the keyword rules as an "older model", then a backfill with the shipped model and, when
 * CV_DATA_DIR is set, the dev CVs' label shares as the reference distribution. (Only the synthetic
 * examples appear as rows: the picture is committed, and the data card forbids committing the
 * dataset, titles and organizations included.) One thing is staged for the picture: the profiles' ingestion dates are spread over
 * the 7 days before today (one run here lands on a single day), so the drift and fallback charts have
 * a line to draw. Then it serves the page and photographs it with Debian's headless Chromium, and
 * the workbench with a German title in the classify box and the explorer filtered to one department.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { rebuildStats } from '../src/store/distribution-stats.ts';
import { referenceFromAnnotated, storeReferenceDistribution } from '../src/store/reference-distribution.ts';
import { loadClassifier } from '../src/classify/load-classifier.ts';
import { loadKeywordRules } from '../src/classify/keyword-rules.ts';
import { KeywordClassifier } from '../src/classify/keywords.ts';
import { readAnnotated } from '../src/cli/commands/evaluate.ts';
import { runFile } from '../src/ingest/file/file-runner.ts';
import { runBackfill } from '../src/queues/backfill/backfill.ts';
import { logger } from '../src/logger.ts';
import { buildServer } from '../src/server/app.ts';
import { postgresCheck } from '../src/server/health.ts';
import { createMetrics } from '../src/server/metrics.ts';
import { openDatabase } from '../src/store/db.ts';
import { launchChromium } from '../test/helpers/chromium.ts';
import { classifierSource } from '../src/cli/context.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'docs/analytics-page.png' },
    'workbench-out': { type: 'string', default: 'docs/workbench-page.png' },
    'review-out': { type: 'string', default: 'docs/workbench-review.png' },
  },
});
logger.level = 'warn';
const dataDir = process.env.CV_DATA_DIR;

const database = await openDatabase({ pgliteDir: 'memory://' });
await database.migrate();
const db = database.db;
const older = new KeywordClassifier(loadKeywordRules());
const inputs = ['examples/profiles.json'];
for (const input of inputs) await runFile(db, older, { input, asOf: '2026-01' });

const shipped = await loadClassifier(classifierSource());
if (dataDir && existsSync(join(dataDir, 'linkedin-cvs-annotated-dev.json'))) {
  const reference = referenceFromAnnotated(await readAnnotated(join(dataDir, 'linkedin-cvs-annotated-dev.json')));
  await storeReferenceDistribution(db, shipped.modelVersion, reference, 'cvs:linkedin-cvs-annotated-dev.json');
}
await runBackfill(db, shipped, { batchSize: 20, trigger: 'cli', asOf: '2026-01' });
// Staged for the picture (see the header): ingestion spread over the last 7 days.
await db.execute(sql`update profiles set created_at = now() - make_interval(days => (abs(hashtext(profile_id)) % 7))`);
await rebuildStats(db, null); // the dates were edited behind the writer's back

const metrics = createMetrics({ db, queues: [], eventConnection: null });
const app = await buildServer({ db, classifier: shipped, queues: [], checks: { postgres: postgresCheck(db), redis: null, kafka: null }, credentials: null, metrics });
const url = await app.listen({ port: 0, host: '127.0.0.1' });
const browser = await launchChromium({ viewport: { width: 1400, height: 900 } });
try {
  const page = await browser.context.newPage();
  await page.goto(`${url}/analytics`);
  mkdirSync(dirname(values.out), { recursive: true });
  await page.screenshot({ path: values.out, fullPage: true });
  process.stdout.write(`${values.out}: the analytics page of ${shipped.modelVersion} (${inputs.join(', ')})\n`);
  const out = values['workbench-out'];
  await page.goto(`${url}/workbench?title=${encodeURIComponent('Stellvertretende Leiterin Einkauf')}&explore=1&department=Sales`);
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  process.stdout.write(`${out}: the workbench\n`);
  // The review queue as an editor sees it (no credentials: the development user is an editor).
  await page.goto(`${url}/workbench?review=1`);
  await page.locator('#review').screenshot({ path: values['review-out'] });
  process.stdout.write(`${values['review-out']}: the review queue\n`);
} finally {
  await browser.close();
  await app.close();
  await metrics.close();
  await database.close();
}
