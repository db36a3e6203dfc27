import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { loadClassifier } from '../../src/classify/load-classifier.ts';
import { MAX_TITLE_LENGTH } from '../../src/domain/profile.ts';
import { runFile } from '../../src/ingest/file/file-runner.ts';
import { type Database, queryRows } from '../../src/store/db.ts';
import { testDatabaseKinds } from '../helpers/databases.ts';

const dir = mkdtempSync(join(tmpdir(), 'cv-runner-'));
const examples = new URL('../../examples/profiles.json', import.meta.url).pathname;

const valid = (id: string, title: string) => JSON.stringify({ profileId: id, positions: [{ position: title, status: 'ACTIVE', startDate: '2020-01' }] });

// A stream with poison in it: every line's fate is known in advance.
const mixedLines = [
  valid('m-1', 'Senior Software Engineer'),
  '{"profileId": "m-2", "positions": [',
  valid('m-3', "'; DROP TABLE positions; --"),
  JSON.stringify({ profileId: 'm-4', positions: [] }),
  JSON.stringify({ profileId: 'm-5', positions: [{ organization: 'no title here' }] }),
  '',
  valid('m-6', 'Geschäftsführerin\u200b (m/w/d)'),
  JSON.stringify({ profileId: 'm-7', positions: [{ position: 'x'.repeat(MAX_TITLE_LENGTH + 1) }] }),
  JSON.stringify({ profileId: 8, positions: [{ position: 'CFO' }] }),
  valid('m-9', 'Chargée de clientèle <script>alert(1)</script>'),
  JSON.stringify({ profileId: 'm-10', positions: [{ position: 'CFO', startDate: '2021-13' }] }),
];
const expectedRejections = [
  { ref: 'line 2', reason: expect.stringMatching(/^invalid JSON/) },
  { ref: 'line 4', reason: 'positions: has no positions' },
  { ref: 'line 5', reason: expect.stringMatching(/^positions\[0\]\.position: /) },
  { ref: 'line 8', reason: `positions[0].position: is longer than ${MAX_TITLE_LENGTH} characters` },
  { ref: 'line 9', reason: expect.stringMatching(/^profileId: /) },
  { ref: 'line 11', reason: 'positions[0].startDate: is not YYYY-MM (or YYYY)' },
];

async function tableCounts(database: Database) {
  const rows = await queryRows<{ p: number; pos: number; pred: number; dl: number }>(database.db, sql`
    select (select count(*)::int from profiles) as p, (select count(*)::int from positions) as pos,
           (select count(*)::int from predictions) as pred, (select count(*)::int from dead_letters) as dl`);
  return rows[0];
}

describe.each(testDatabaseKinds)('the file runner on $name', (kind) => {
  let database: Database;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ database, dispose } = await kind.open());
  });
  afterAll(async () => dispose());
  let classifier: Awaited<ReturnType<typeof loadClassifier>>;
  beforeAll(async () => {
    classifier = await loadClassifier();
  });

  it('stores every example profile and position', async () => {
    const result = await runFile(database.db, classifier, { input: examples, asOf: '2026-11' });
    expect(result).toMatchObject({ itemsRead: 50, profilesStored: 50, rejected: [], duplicateIds: 0 });
    expect(result.summary.positions).toBe(189);
    expect(await tableCounts(database)).toEqual({ p: 50, pos: 189, pred: 189, dl: 0 });
  });

  it('leaves identical row counts when the same file runs again', async () => {
    const before = await tableCounts(database);
    await runFile(database.db, classifier, { input: examples, asOf: '2026-11', batchSize: 7 });
    expect(await tableCounts(database)).toEqual(before);
  });

  it('reports progress within a batch, not only when it is stored', async () => {
    const reports: number[] = [];
    await runFile(database.db, classifier, { input: examples, asOf: '2026-11', onProgress: (n) => reports.push(n) });
    // 50 profiles in one batch of 500: a report after the first 32 are scored, then 50 once stored.
    expect(reports[0]).toBe(32);
    expect(reports.at(-1)).toBe(50);
    expect([...reports].sort((a, b) => a - b)).toEqual(reports);
  });

  it('stores all valid messages of a poisoned stream and dead-letters the rest with reasons', async () => {
    const input = join(dir, 'mixed.ndjson');
    writeFileSync(input, mixedLines.join('\n'));
    const before = await tableCounts(database);
    const result = await runFile(database.db, classifier, { input, asOf: '2026-11', batchSize: 2 });
    expect(result.rejected).toEqual(expectedRejections);
    expect(result.profilesStored).toBe(4);
    expect(await tableCounts(database)).toEqual({ p: before!.p + 4, pos: before!.pos + 4, pred: before!.pred + 4, dl: 6 });
    const rows = await queryRows<{ title: string }>(database.db, sql`select title from positions where profile_id in ('m-3', 'm-9') order by profile_id`);
    expect(rows.map((r) => r.title)).toEqual(["'; DROP TABLE positions; --", 'Chargée de clientèle <script>alert(1)</script>']);
    const letters = await queryRows<{ payload: string }>(database.db, sql`select payload from dead_letters where source_ref = 'line 2'`);
    expect(letters).toEqual([{ payload: mixedLines[1] }]);
  });

  it('refuses a JSON file that is not an array, storing nothing', async () => {
    const input = join(dir, 'object.json');
    writeFileSync(input, JSON.stringify({ profileId: 'p', positions: [{ position: 'CEO' }] }));
    const before = await tableCounts(database);
    await expect(runFile(database.db, classifier, { input, asOf: '2026-11' })).rejects.toThrow(/must hold a JSON array of profiles/);
    expect(await tableCounts(database)).toEqual(before);
  });
});
