/**
 * The workbench page in headless Chromium (Debian's package): the classify box gives POST
 * /classify's answer, the explorer filters, pages and links the CSV export of the same filters, a
 * correction made through the API shows in both, injection strings stay text, and the page says
 * what it runs without (Redis here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeywordClassifier } from '../../src/classify/keywords.ts';
import type { ProfileMessage } from '../../src/domain/profile.ts';
import { logger } from '../../src/logger.ts';
import { scoreProfiles } from '../../src/pipeline/score.ts';
import type { Database } from '../../src/store/db.ts';
import { registerClassifier } from '../../src/store/model-registration.ts';
import { storeScoredProfiles } from '../../src/store/write-results.ts';
import { type Browser, launchChromium } from '../helpers/chromium.ts';
import { type TestDashboard, basicAuth, startTestDashboard } from '../helpers/dashboard-server.ts';
import { testDatabaseKinds } from '../helpers/databases.ts';
import { missingChromium } from '../helpers/required-services.ts';
import { keywordConfig } from '../helpers/text.ts';

logger.level = process.env.LOG_LEVEL ?? 'warn';
const skip = missingChromium();
const INJECTED = `<img src=x onerror="window.__pwned=1">Head of "Sales" & <b>Co</b>`;
const editor = { user: 'editor', password: 'correct horse battery staple' };

describe.skipIf(skip)('the workbench page in headless Chromium', () => {
  let database: Database;
  let dispose: () => Promise<void>;
  let dashboard: TestDashboard;
  let browser: Browser;
  const classifier = new KeywordClassifier(keywordConfig);
  const profiles: ProfileMessage[] = Array.from({ length: 60 }, (_, i) => ({
    profileId: `w${String(i).padStart(2, '0')}`,
    positions: [{ position: i === 7 ? INJECTED : i % 2 ? 'Vertriebsleiter' : 'Buchhalterin', organization: i % 3 ? 'Nordlicht GmbH' : 'ACME AG', startDate: '2020-01', status: 'ACTIVE' }],
  }));

  beforeAll(async () => {
    ({ database, dispose } = await testDatabaseKinds[0]!.open());
    await registerClassifier(database.db, classifier);
    await storeScoredProfiles(database.db, await scoreProfiles(profiles, classifier, '2025-06'), 'test');
    dashboard = await startTestDashboard({ db: database.db, classifier, credentials: editor, redisUrl: '' });
    browser = await launchChromium({ httpCredentials: { username: editor.user, password: editor.password } });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await dispose?.();
  });

  it('classifies a title as POST /classify does, in German too', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${dashboard.url}/workbench`);
    await page.fill('input[name=title]', 'Leiterin Einkauf');
    await page.click('#classify button');
    await page.waitForSelector('tr.answer');
    const shown = Object.fromEntries(
      await page.locator('tr.answer').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-task'), [r.querySelector('.label')!.textContent, r.querySelector('.source')!.textContent]])),
    );
    const api = await fetch(`${dashboard.url}/classify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(editor.user, editor.password) },
      body: JSON.stringify({ titles: ['Leiterin Einkauf'] }),
    });
    const [answer] = ((await api.json()) as { results: Record<'seniority' | 'department', { label: string; source: string }>[] }).results;
    expect(shown).toEqual({ seniority: [answer!.seniority.label, answer!.seniority.source], department: [answer!.department.label, answer!.department.source] });
    expect(shown.department![0]).toBe('Purchasing');
    expect(await page.locator('.note').allTextContents()).toContain('REDIS_URL is not set: the queue board shows no queues, and nothing streams through this server.');
    await page.close();
  });

  it('filters, pages by keyset and links the export of the same filter; injection strings stay text', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${dashboard.url}/workbench`);
    await page.fill('#explorer input[name=org]', 'nordlicht');
    await page.click('#explorer button');
    await page.waitForSelector('tr.position');
    const first = await page.locator('tr.position td.title').allTextContents();
    expect(first).toHaveLength(40); // 40 of 60 profiles are Nordlicht's, under one page of 50
    expect(first).toContain(INJECTED);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('#next').count()).toBe(0);
    const csv = await (await fetch(new URL((await page.getAttribute('#export', 'href'))!, dashboard.url), { headers: { authorization: basicAuth(editor.user, editor.password) } })).text();
    expect(csv.trim().split('\n')).toHaveLength(41);

    await page.goto(`${dashboard.url}/workbench?explore=1`);
    const pageOne = await page.locator('tr.position td.muted').allTextContents();
    expect(pageOne).toHaveLength(50);
    await page.click('#next');
    await page.waitForSelector('tr.position');
    const pageTwo = await page.locator('tr.position td.muted').allTextContents();
    expect(pageTwo).toHaveLength(10);
    expect(new Set([...pageOne, ...pageTwo]).size).toBe(60);
    await page.close();
  });

  it('shows a correction at once in the classify box and the explorer', async () => {
    const res = await fetch(`${dashboard.url}/api/corrections`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(editor.user, editor.password) },
      body: JSON.stringify({ title: 'Buchhalterin', seniority: 'Senior' }),
    });
    expect(res.status).toBe(201);
    const page = await browser.context.newPage();
    await page.goto(`${dashboard.url}/workbench?title=${encodeURIComponent('buchhalterin')}`);
    expect(await page.locator('tr.answer[data-task=seniority] .label').textContent()).toBe('Senior');
    expect(await page.locator('tr.answer[data-task=seniority] .source').textContent()).toBe('override');
    await page.goto(`${dashboard.url}/workbench?explore=1&source=override`);
    expect(await page.locator('tr.position').count()).toBe(30);
    await page.close();
  });

  it('labels from the review queue with the keyboard, and refuses forged form posts', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${dashboard.url}/workbench?review=1`);
    await page.waitForSelector('tr.review');
    const title = (await page.locator('tr.review td.title .example').first().textContent())!;
    // The first row's seniority select has the focus: pick with the keyboard, Tab to the department, Enter saves.
    await page.keyboard.press('ArrowDown');
    const seniority = await page.locator('tr.review').first().locator('select[name=seniority]').inputValue();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#saved');
    expect(await page.locator('#saved').textContent()).toMatch(/^Saved correction \d+: \d+ stored positions relabeled\.$/);
    expect(await page.locator('tr.review td.title .example').allTextContents()).not.toContain(title);
    const auth = { authorization: basicAuth(editor.user, editor.password) };
    const list = (await (await fetch(`${dashboard.url}/api/corrections`, { headers: auth })).json()) as { items: { title: string; author: string; seniority: string }[] };
    expect(list.items.at(-1)).toMatchObject({ title, author: 'editor', seniority });

    const token = await page.locator('input[name=csrf]').first().getAttribute('value');
    const form = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${dashboard.url}/workbench/corrections`, { method: 'POST', redirect: 'manual', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
    const fields = `title=Buchhalterin&seniority=Lead&department=Sales`;
    expect((await form(fields)).status).toBe(403);
    expect((await form(`${fields}&csrf=forged`)).status).toBe(403);
    expect((await form(`${fields}&csrf=${token}`, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await form(`${fields}&csrf=${token}`)).status).toBe(303);
    await page.close();
  });
});
