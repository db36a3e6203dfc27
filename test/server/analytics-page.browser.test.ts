import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { refreshDriftStats } from '../../src/store/distribution-stats.ts';
import { storeReferenceDistribution, toShares } from '../../src/store/reference-distribution.ts';
import { CLASSES } from '../../src/domain/labels.ts';
import type { ProfileMessage } from '../../src/domain/profile.ts';
import { logger } from '../../src/logger.ts';
import { scoreProfiles } from '../../src/pipeline/score.ts';
import { formatCount, formatPercent } from '../../src/server/format.ts';
import { type Database, queryRows } from '../../src/store/db.ts';
import { storeScoredProfiles } from '../../src/store/write-results.ts';
import { DATASET_MODEL, datasetClassifier, loadDataset } from '../helpers/career-dataset.ts';
import { type Browser, launchChromium } from '../helpers/chromium.ts';
import { type TestDashboard, startTestDashboard } from '../helpers/dashboard-server.ts';
import { testDatabaseKinds } from '../helpers/databases.ts';
import { missingChromium } from '../helpers/required-services.ts';

logger.level = process.env.LOG_LEVEL ?? 'warn';
const skip = missingChromium();

const INJECTED_ID = "x'); DROP TABLE profiles; --";
const INJECTED_TITLE = `<script>window.__pwned = 'title'</script><img src=x onerror="window.__pwned='img'">Chief "Happiness" Officer & 'Co'`;
const SQL_TITLE = "'; DELETE FROM predictions; --";
const INJECTED_ORG = `</td></tr></table><h1 id="injected">pwned</h1><svg onload="window.__pwned='svg'">`;
const injected: ProfileMessage = {
  profileId: INJECTED_ID,
  positions: [
    { position: SQL_TITLE, organization: INJECTED_ORG, startDate: '2021-07', endDate: null, status: 'ACTIVE' },
    { position: INJECTED_TITLE, organization: INJECTED_ORG, startDate: '2020-01', endDate: '2021-06', status: 'INACTIVE' },
  ],
};

const credentials = { user: 'analyst', password: 'correct horse battery staple' };
const suffix = randomBytes(4).toString('hex');
const queueNames = { score: `score-${suffix}`, backfill: `backfill-${suffix}` };

describe.skipIf(skip)('the analytics page in headless Chromium', () => {
  let database: Database;
  let dispose: () => Promise<void>;
  let dashboard: TestDashboard;
  let browser: Browser;
  const dialogs: string[] = [];

  beforeAll(async () => {
    ({ database, dispose } = await testDatabaseKinds[testDatabaseKinds.length - 1]!.open());
    await storeReferenceDistribution(database.db, DATASET_MODEL, { seniority: toShares('seniority', { Professional: 2, Lead: 1, Junior: 1 }) }, 'test');
    await loadDataset(database.db);
    await storeScoredProfiles(database.db, await scoreProfiles([injected], datasetClassifier, '2024-06'), 'test');
    await refreshDriftStats(database.db, DATASET_MODEL);
    dashboard = await startTestDashboard({ db: database.db, classifier: datasetClassifier, credentials, queueNames: process.env.REDIS_URL ? queueNames : undefined });
    browser = await launchChromium({ httpCredentials: { username: credentials.user, password: credentials.password } });
    browser.context.on('page', (page) =>
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      }),
    );
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await dispose?.();
  });

  it('stores the injection strings verbatim', async () => {
    const rows = await queryRows<{ profile_id: string; title: string; organization: string }>(
      database.db,
      sql`select profile_id, title, organization from positions where profile_id = ${INJECTED_ID} order by position_index`,
    );
    expect(rows).toEqual([
      { profile_id: INJECTED_ID, title: SQL_TITLE, organization: INJECTED_ORG },
      { profile_id: INJECTED_ID, title: INJECTED_TITLE, organization: INJECTED_ORG },
    ]);
    const [count] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from predictions`);
    expect(count!.n).toBe(11);
  });

  it('renders the numbers of the database, and shows the injection strings as text', async () => {
    const page = await browser.context.newPage();
    const response = await page.goto(`${dashboard.url}/analytics`);
    expect(response!.status()).toBe(200);
    expect(await page.locator('#model-version').textContent()).toBe(DATASET_MODEL);

    const [stats] = await queryRows<{ profiles: number; positions: number; seniority_fallback_rate: number; department_fallback_rate: number }>(
      database.db,
      sql`select profiles, positions, seniority_fallback_rate, department_fallback_rate from model_stats where model_version = ${DATASET_MODEL}`,
    );
    expect(stats).toMatchObject({ profiles: 5, positions: 11 });
    const stat = (name: string) => page.locator(`[data-stat="${name}"]`).textContent();
    expect(await stat('profiles')).toBe(formatCount(stats!.profiles));
    expect(await stat('positions')).toBe(formatCount(stats!.positions));
    expect(await stat('seniority-fallback-rate')).toBe(formatPercent(stats!.seniority_fallback_rate));
    expect(await stat('department-fallback-rate')).toBe(formatPercent(stats!.department_fallback_rate));

    const shares = await queryRows<{ label: string; share: number }>(
      database.db,
      sql`select label, share from distribution_stats where model_version = ${DATASET_MODEL} and scope = 'overall' and task = 'seniority'`,
    );
    for (const label of CLASSES.seniority) {
      const expected = formatPercent(shares.find((s) => s.label === label)?.share ?? 0);
      expect(await page.locator(`#chart-shares-seniority g.bar[data-label="${label}"] text.value`).textContent()).toBe(expected);
    }

    const drift = await queryRows<{ task: string; psi: number }>(
      database.db,
      sql`select task, psi from drift_stats where model_version = ${DATASET_MODEL} and scope = 'ingestion_day' and task = 'seniority' order by scope_value`,
    );
    expect(drift.length).toBe(3); // two dataset days and today
    const points = await page.locator('#chart-drift g.series[data-name="seniority PSI"] circle').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-y'))));
    expect(points).toEqual(drift.map((d) => d.psi));
    expect(await page.locator('#chart-fallback circle').count()).toBe(2 * 3);

    expect(await page.locator('#organizations .organization-name').allTextContents()).toContain(INJECTED_ORG);
    const unsureTitles = await page.locator('#unsure td.title').allTextContents();
    expect(unsureTitles).toEqual(expect.arrayContaining([INJECTED_TITLE, SQL_TITLE, 'Buchhalterin']));

    // Nothing from the data became markup or ran.
    const dom = await page.evaluate(() => ({
      scripts: document.scripts.length,
      images: document.images.length,
      injectedHeading: document.getElementById('injected') !== null,
      handlers: document.querySelectorAll('[onload], [onerror]').length,
      pwned: (window as unknown as { __pwned?: string }).__pwned ?? null,
      sections: [...document.querySelectorAll('main > section')].map((s) => s.id),
    }));
    expect(dom).toEqual({
      scripts: 0,
      images: 0,
      injectedHeading: false,
      handlers: 0,
      pwned: null,
      sections: ['overview', 'shares-seniority', 'shares-department', 'drift', 'fallback', 'confidence', 'organizations', 'careers', 'unsure'],
    });
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it('is refused without credentials', async () => {
    const anonymous = await launchChromium();
    try {
      const page = await anonymous.context.newPage();
      // The browser gets the basic-auth challenge; headless, with nobody to type a password, it gives up.
      await expect(page.goto(`${dashboard.url}/analytics`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
      const response = await page.request.get(`${dashboard.url}/analytics`);
      expect(response.status()).toBe(401);
      expect(await response.text()).not.toContain(DATASET_MODEL);
    } finally {
      await anonymous.close();
    }
  });

  it.skipIf(!process.env.REDIS_URL)('shows the scoring and backfill queues in Bull Board', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${dashboard.url}/admin/queues`);
    await page.getByText(queueNames.backfill).first().waitFor({ timeout: 20_000 });
    await page.getByText(queueNames.score).first().waitFor({ timeout: 20_000 });
    await page.close();
  });
});
