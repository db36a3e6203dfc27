/**
 * The workbench API from outside, over HTTP: positions filtered and paged by keyset, the CSV export,
 * corrections (title and position) that change stored predictions, statistics and POST /classify at
 * once, undo, roles (401 / 403) and cross-site refusal, and hostile input stored verbatim.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { KeywordClassifier } from '../../src/classify/keywords.ts';
import type { ProfileMessage } from '../../src/domain/profile.ts';
import type { CareerFeatures } from '../../src/domain/career.ts';
import { logger } from '../../src/logger.ts';
import { scoreProfiles } from '../../src/pipeline/score.ts';
import { type Database, type Db, queryRows } from '../../src/store/db.ts';
import { registerClassifier } from '../../src/store/model-registration.ts';
import { counterTableNames, counterValueColumns, rebuildStatistics } from '../../src/store/statistics.ts';
import { inTransaction } from '../../src/store/transaction.ts';
import { storeBatch, storeScoredProfiles } from '../../src/store/write-results.ts';
import { loadCorrectionSet } from '../../src/store/corrections.ts';
import { REVIEW_STRATEGIES, type ReviewItem } from '../../src/store/review-queue.ts';
import { type Seniority, TASKS, type Task } from '../../src/domain/labels.ts';
import { UNCERTAINTY_MEASURES, type Uncertainty } from '../../src/domain/uncertainty.ts';
import { clusterTitles } from '../../src/text/title-clusters.ts';
import { type TestDashboard, basicAuth, startTestDashboard } from '../helpers/dashboard-server.ts';
import { testDatabaseKinds } from '../helpers/databases.ts';
import { keywordConfig } from '../helpers/text.ts';

logger.level = process.env.LOG_LEVEL ?? 'warn';

const editor = { user: 'editor', password: 'correct horse battery staple', role: 'editor' as const };
const viewer = { user: 'viewer', password: 'viewer password long enough', role: 'viewer' as const };
const EDITOR = { authorization: basicAuth(editor.user, editor.password) };
const VIEWER = { authorization: basicAuth(viewer.user, viewer.password) };
const JSON_TYPE = { 'content-type': 'application/json' };
const INJECTION = `Robert'); DROP TABLE corrections;-- <script>alert(1)</script> %_\\`;

/** Every counter row that is not all zeros, sorted: what incremental statistics must equal after a rebuild. */
async function counters(db: Db): Promise<string[]> {
  const values = counterValueColumns();
  const out: string[] = [];
  for (const table of counterTableNames()) {
    for (const r of await queryRows<Record<string, unknown>>(db, sql.raw(`select * from ${table}`))) {
      const row = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, values.has(k) ? Number(v) : v]));
      if (Object.entries(row).some(([k, v]) => values.has(k) && v !== 0)) out.push(`${table} ${JSON.stringify(row)}`);
    }
  }
  return out.sort();
}

async function expectCountersExact(db: Db): Promise<void> {
  const incremental = await counters(db);
  await inTransaction(db, (tx) => rebuildStatistics(tx, null));
  expect(incremental).toEqual(await counters(db));
}

describe.each(testDatabaseKinds)('the workbench API on $name', (kind) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let dashboard: TestDashboard;
  const classifier = new KeywordClassifier(keywordConfig);
  const profiles = JSON.parse(readFileSync(new URL('../../examples/profiles.json', import.meta.url), 'utf8')) as ProfileMessage['positions'][];
  const messages: ProfileMessage[] = [
    ...profiles.map((positions, i) => ({ profileId: `p${String(i).padStart(3, '0')}`, positions })),
    { profileId: 'inj', positions: [{ position: INJECTION, organization: 'ACME <b>GmbH</b>', startDate: '2020-01', status: 'ACTIVE' }] },
  ];
  const total = messages.reduce((n, p) => n + p.positions.length, 0);
  const api = (path: string, init: RequestInit = {}) => fetch(`${dashboard.url}${path}`, { ...init, headers: { ...EDITOR, ...(init.headers ?? {}) } });
  const post = (body: unknown, headers: Record<string, string> = EDITOR) =>
    fetch(`${dashboard.url}/api/corrections`, { method: 'POST', headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify(body) });
  const stored = async (title: string) =>
    queryRows<{ seniority: string; seniority_source: string; seniority_confidence: number; explanation: { modelAnswer?: unknown } }>(
      database.db,
      sql`select p.seniority, p.seniority_source, p.seniority_confidence, p.explanation from predictions p
          join positions po using (profile_id, position_index) where po.normalized_title = ${title}`,
    );

  beforeAll(async () => {
    ({ database, dispose } = await kind.open());
    await registerClassifier(database.db, classifier);
    await storeScoredProfiles(database.db, await scoreProfiles(messages, classifier, '2025-06'), 'test');
    dashboard = await startTestDashboard({ db: database.db, classifier, credentials: [editor, viewer] });
  });
  afterAll(async () => {
    await dashboard?.close();
    await dispose?.();
  });

  it('pages every stored position once by keyset, in order, with filters', async () => {
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const res = await api(`/api/positions?limit=7${next ? `&after=${next}` : ''}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: { positionId: string }[]; next: string | null };
      expect(page.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.items.map((i) => i.positionId));
      next = page.next;
    } while (next);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);

    const leads = (await (await api('/api/positions?seniority=Lead&limit=500')).json()) as { items: { seniority: string }[] };
    expect(leads.items.length).toBeGreaterThan(0);
    expect(leads.items.every((i) => i.seniority === 'Lead')).toBe(true);
    // Free text is literal: % and _ match themselves only.
    const literal = (await (await api(`/api/positions?q=${encodeURIComponent('%_')}`)).json()) as { items: { title: string }[] };
    expect(literal.items.map((i) => i.title)).toEqual([INJECTION]);
    const org = (await (await api(`/api/positions?org=${encodeURIComponent('acme <b>gmbh</b>')}`)).json()) as { items: unknown[] };
    expect(org.items).toHaveLength(1);
  });

  it('answers 400 naming the field for a bad filter or a forged cursor', async () => {
    for (const [query, field] of [['seniority=Boss', 'seniority'], ['limit=0', 'limit'], ['minConfidence=2', 'minConfidence'], ['after=abc', 'after'], ['bogus=1', 'bogus']]) {
      const res = await api(`/api/positions?${query}`);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain(field);
    }
  });

  it('exports the filtered set as CSV, hostile text quoted, not interpreted', async () => {
    const res = await api('/api/positions.csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    const rows = parse(await res.text(), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(total);
    expect(rows.find((r) => r.profileId === 'inj')!.title).toBe(INJECTION);
    const leads = parse(await (await api('/api/positions.csv?seniority=Lead')).text(), { columns: true }) as Record<string, string>[];
    expect(leads.every((r) => r.seniority === 'Lead')).toBe(true);
  });

  it('a title correction relabels every stored position of the title, the statistics and POST /classify; undo restores the model', async () => {
    const title = 'Werkstudent Vertrieb';
    const key = classifier.prepare(title, null).normalized;
    // Stored positions with that title (added here, so the test does not depend on the examples' titles).
    const wsMessages: ProfileMessage[] = [1, 2, 3].map((i) => ({
      profileId: `ws${i}`,
      positions: [
        { position: 'Sales Assistant', startDate: '2019-01', endDate: '2020-12', status: 'INACTIVE' as const },
        { position: i === 2 ? 'werkstudent vertrieb' : title, startDate: '2021-01', status: 'ACTIVE' as const },
      ],
    }));
    await storeScoredProfiles(database.db, await scoreProfiles(wsMessages, classifier, '2025-06'), 'test');
    // The stored career features are those of scoring the profile now, corrections included.
    const expectCareersCurrent = async (expected: string[]) => {
      const rescored = await scoreProfiles(wsMessages, classifier, '2025-06', await loadCorrectionSet(database.db));
      const careers = await queryRows<{ profile_id: string; features: CareerFeatures; as_of: string }>(
        database.db, sql`select profile_id, features, as_of from career_features where profile_id like 'ws%' order by profile_id`);
      expect(careers.map((c) => c.features)).toEqual(rescored.map((p) => p.career));
      expect(careers.map((c) => c.features.currentSeniority)).toEqual(expected);
      expect(careers.map((c) => c.as_of)).toEqual(['2025-06', '2025-06', '2025-06']);
    };
    const before = await stored(key);
    expect(before).toHaveLength(3);
    expect(before[0]!.seniority).toBe('Junior');
    await expectCareersCurrent(['Junior', 'Junior', 'Junior']);

    const res = await post({ title, seniority: 'Professional' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { correction: { id: number; author: string; titleKey: string }; positions: number };
    expect(body.positions).toBe(3);
    expect(body.correction).toMatchObject({ author: 'editor', titleKey: key });
    for (const row of await stored(key)) {
      expect(row).toMatchObject({ seniority: 'Professional', seniority_source: 'override', seniority_confidence: 1 });
      expect(row.explanation.modelAnswer).toEqual({ seniority: { label: 'Junior', confidence: before[0]!.seniority_confidence, source: before[0]!.seniority_source } });
    }
    await expectCareersCurrent(['Professional', 'Professional', 'Professional']);
    await expectCountersExact(database.db);

    const classify = await fetch(`${dashboard.url}/classify`, { method: 'POST', headers: { ...JSON_TYPE, ...VIEWER }, body: JSON.stringify({ titles: ['WERKSTUDENT  Vertrieb'] }) });
    const answer = ((await classify.json()) as { results: { seniority: { label: string; source: string } }[] }).results[0]!;
    expect(answer.seniority).toMatchObject({ label: 'Professional', source: 'override' });

    // A position correction beats the title's.
    const position = await post({ positionId: 'ws1#1', seniority: 'Lead' });
    expect(position.status).toBe(201);
    expect((await stored(key)).map((r) => r.seniority).sort()).toEqual(['Lead', 'Professional', 'Professional']);
    await expectCareersCurrent(['Lead', 'Professional', 'Professional']);

    const undo = await api(`/api/corrections/${body.correction.id}`, { method: 'DELETE' });
    expect(undo.status).toBe(200);
    expect((await stored(key)).map((r) => `${r.seniority} ${r.seniority_source}`).sort()).toEqual([`Junior ${before[0]!.seniority_source}`, `Junior ${before[0]!.seniority_source}`, 'Lead override']);
    await expectCareersCurrent(['Lead', 'Junior', 'Junior']);
    await expectCountersExact(database.db);
    expect((await api(`/api/corrections/${body.correction.id}`, { method: 'DELETE' })).status).toBe(409);

    const list = (await (await api('/api/corrections')).json()) as { items: { id: number; undoes: number | null; undone: boolean }[] };
    expect(list.items.map((c) => [c.undoes, c.undone])).toEqual([[null, true], [null, false], [body.correction.id, false]]);
  });

  it('a batch scored before a correction and stored after it gets the correction; one scored after gets it from the core', async () => {
    const title = 'Praktikant Einkauf';
    const message = (id: string): ProfileMessage => ({ profileId: id, positions: [{ position: title, startDate: '2022-01', status: 'ACTIVE' }] });
    const set = await loadCorrectionSet(database.db);
    const early = await scoreProfiles([message('late-store')], classifier, '2025-06', set);
    expect(early[0]!.positions[0]!.prediction.department.label).toBe('Purchasing');
    expect((await post({ title, department: 'Sales' })).status).toBe(201);
    // Stored with the version it was scored with: the writer sees the newer correction and applies it.
    await storeBatch(database.db, { source: 'test', scored: early, deadLetters: [], correctionsVersion: set.version });
    const fresh = await scoreProfiles([message('after')], classifier, '2025-06', await loadCorrectionSet(database.db));
    expect(fresh[0]!.positions[0]!.prediction.department).toMatchObject({ label: 'Sales', source: 'override', modelAnswer: { label: 'Purchasing' } });
    const rows = await queryRows<{ profile_id: string; department: string; department_source: string }>(
      database.db,
      sql`select profile_id, department, department_source from predictions where profile_id = 'late-store'`,
    );
    expect(rows).toEqual([{ profile_id: 'late-store', department: 'Sales', department_source: 'override' }]);
    // Its career features follow the corrected label too.
    const [career] = await queryRows<{ current_department: string }>(database.db, sql`select current_department from career_features where profile_id = 'late-store'`);
    expect(career!.current_department).toBe('Sales');
    await expectCountersExact(database.db);
  });

  it('refuses writes without credentials (401), from a viewer (403), cross-site (403) and without JSON (415)', async () => {
    expect((await post({ title: 'x', seniority: 'Lead' }, {})).status).toBe(401);
    expect((await post({ title: 'x', seniority: 'Lead' }, VIEWER)).status).toBe(403);
    expect((await post({ title: 'x', seniority: 'Lead' }, { ...EDITOR, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post({ title: 'x', seniority: 'Lead' }, { ...EDITOR, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    const form = await fetch(`${dashboard.url}/api/corrections`, {
      method: 'POST',
      headers: { ...EDITOR, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'title=x&seniority=Lead',
    });
    expect(form.status).toBe(415);
    expect((await api('/api/corrections/1', { method: 'DELETE', headers: VIEWER })).status).toBe(403);
    // A viewer reads.
    expect((await fetch(`${dashboard.url}/api/positions`, { headers: VIEWER })).status).toBe(200);
  });

  it('validates corrections and keeps hostile titles verbatim', async () => {
    for (const body of [{ seniority: 'Lead' }, { title: 'x' }, { title: 'x', positionId: 'p000#0', seniority: 'Lead' }, { title: 'x', seniority: 'Boss' }, { positionId: 'nohash', seniority: 'Lead' }]) {
      expect((await post(body)).status, JSON.stringify(body)).toBe(400);
    }
    expect((await post({ positionId: 'nobody#0', seniority: 'Lead' })).status).toBe(404);
    const res = await post({ title: INJECTION, department: 'Sales' });
    expect(res.status).toBe(201);
    const list = (await (await api('/api/corrections')).json()) as { items: { title: string | null }[] };
    expect(list.items.at(-1)!.title).toBe(INJECTION);
    expect((await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from corrections`))[0]!.n).toBeGreaterThan(0);
  });
  it('groups organizations by their key: "Daimler AG" and "DAIMLER" are one organization in statistics and in the filter', async () => {
    await storeScoredProfiles(
      database.db,
      await scoreProfiles(
        [
          { profileId: 'd1', positions: [{ position: 'Einkäufer', organization: 'Daimler AG', startDate: '2020-01' }] },
          { profileId: 'd2', positions: [{ position: 'Vertriebsleiter', organization: 'DAIMLER', startDate: '2021-01' }] },
        ],
        classifier,
        '2025-06',
      ),
      'test',
    );
    const totals = await queryRows<{ scope_value: string; n: number }>(
      database.db,
      sql`select scope_value, n::int as n from stat_scope_totals where scope = 'organization' and task = 'seniority' and scope_value like 'daimler%'`,
    );
    expect(totals).toEqual([{ scope_value: 'daimler', n: 2 }]);
    const found = (await (await api('/api/positions?org=Daimler')).json()) as { items: { organization: string; organizationKey: string }[] };
    expect(found.items.map((i) => i.organization).sort()).toEqual(['DAIMLER', 'Daimler AG']);
    expect(new Set(found.items.map((i) => i.organizationKey))).toEqual(new Set(['daimler']));
  });

  it('proposes titles to review: least confident first, weighted by the positions each covers, corrected titles left out', async () => {
    const res = await api('/api/review?limit=10');
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: { titleKey: string; positions: number; uncertainty: number; score: number; seniority: string }[] };
    expect(items.length).toBeGreaterThan(0);
    expect(items.map((i) => i.score)).toEqual([...items.map((i) => i.score)].sort((a, b) => b - a));
    for (const item of items) {
      expect(item.score).toBeCloseTo(item.uncertainty * Math.log(1 + item.positions), 6);
      const [n] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from positions where normalized_title = ${item.titleKey}`);
      expect(item.positions).toBe(n!.n);
    }
    const corrected = await queryRows<{ title_key: string }>(database.db, sql`select distinct title_key from corrections where title_key is not null`);
    expect(corrected.length).toBeGreaterThan(0);
    for (const c of corrected) expect(items.map((i) => i.titleKey)).not.toContain(c.title_key);
    expect((await api('/api/review?limit=0')).status).toBe(400);
    expect((await api('/api/review?strategy=random')).status).toBe(400);

    // The queue is read at most once a minute, but a title saved meanwhile leaves it at once.
    const first = items[0]!;
    expect((await post({ title: first.titleKey, seniority: first.seniority as Seniority })).status).toBe(201);
    const next = (await (await api('/api/review?limit=10')).json()) as { items: { titleKey: string }[] };
    expect(next.items.length).toBeGreaterThan(0);
    expect(next.items.map((i) => i.titleKey)).not.toContain(first.titleKey);
  });

  it.each(REVIEW_STRATEGIES)('ranks the review queue by %s, read from the stored explanations, one title per cluster of similar titles', async (strategy) => {
    const { items, strategy: used } = (await (await api(`/api/review?limit=15&strategy=${strategy}`)).json()) as { strategy: string; items: ReviewItem[] };
    expect(used).toBe(strategy);
    expect(items.length).toBeGreaterThan(0);
    const measures: readonly (keyof Uncertainty)[] = strategy === 'combined' ? UNCERTAINTY_MEASURES : [strategy];
    for (const item of items) {
      const rows = await queryRows<{ explanation: Record<Task, { uncertainty: Uncertainty }> }>(
        database.db,
        sql`select p.explanation from predictions p join positions po using (profile_id, position_index) where po.normalized_title = ${item.titleKey}`,
      );
      const perPosition = rows.map((r) => Math.max(...TASKS.map((t) => measures.reduce((sum, m) => sum + r.explanation[t].uncertainty[m], 0) / measures.length)));
      expect(item.uncertainty).toBeCloseTo(perPosition.reduce((a, b) => a + b, 0) / perPosition.length, 6);
      expect(item.similarPositions).toBeGreaterThanOrEqual(item.similar.reduce((n, m) => n + m.positions, 0));
    }
    // Diversity: no two proposed titles are near-spellings of each other.
    for (const [i, a] of items.entries()) for (const b of items.slice(i + 1)) expect(clusterTitles([a, b], (x) => x.titleKey, 2)).toHaveLength(2);
  });
});
