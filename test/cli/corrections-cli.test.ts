/**
 * `cv-pipeline corrections` through the built binary: import validates row by row and keeps the
 * valid rows, export writes what applies, and export → import into another database → export
 * round-trips. MODELS_DIR points nowhere: the commands need the text stage, not the models.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'cv-corrections-'));

async function cli(pglite: string, ...args: string[]) {
  const env = { ...process.env, PGLITE_DIR: join(dir, pglite), LOG_LEVEL: 'warn', MODELS_DIR: join(dir, 'no-models') };
  delete (env as Record<string, string | undefined>).DATABASE_URL;
  try {
    const { stdout, stderr } = await run('node', ['bin/cv-pipeline.js', ...args], { cwd: root, env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('cv-pipeline corrections', { timeout: 120_000 }, () => {
  it('imports the valid rows, reports the others by line, and round-trips through export', async () => {
    expect((await cli('a', 'run', '--input', 'examples/profiles.json')).code).toBe(0);
    const input = join(dir, 'in.csv');
    writeFileSync(
      input,
      [
        'title,positionId,seniority,department,author,createdAt',
        'Werkstudent Vertrieb,,Professional,,ana,2026-12-01T10:00:00.000Z',
        ',nobody#0,Lead,,,',
        'Head of Sales,,Boss,,,',
        '"Team Lead, IT",,,Information Technology,ben,2026-12-02T09:30:00.000Z',
        `"=HYPERLINK(""x"")",,Senior,,ben,2026-12-02T09:31:00.000Z`,
      ].join('\n'),
    );
    const imported = await cli('a', 'corrections', 'import', '--csv', input);
    expect(imported.code).toBe(1);
    expect(imported.stderr).toContain('imported 3 corrections');
    expect(imported.stderr).toContain('line 3: no stored position nobody#0');
    expect(imported.stderr).toContain('line 4: seniority');

    const first = join(dir, 'first.csv');
    expect((await cli('a', 'corrections', 'export', '--csv', first)).code).toBe(0);
    const exported = readFileSync(first, 'utf8');
    expect(exported.split('\n').filter(Boolean)).toHaveLength(4);
    expect(exported).toContain('Werkstudent Vertrieb,,Professional,,ana,2026-12-01T10:00:00.000Z');

    // classify answers as POST /classify does: with the database's title corrections, unless told not to.
    const corrected = JSON.parse((await cli('a', 'classify', 'WERKSTUDENT vertrieb', '--json')).stdout) as { seniority: { label: string; source: string } };
    expect(corrected.seniority).toMatchObject({ label: 'Professional', source: 'override' });
    const model = JSON.parse((await cli('a', 'classify', 'Werkstudent Vertrieb', '--json', '--no-corrections')).stdout) as { seniority: { source: string } };
    expect(model.seniority.source).not.toBe('override');
    const csvIn = join(dir, 'titles.csv');
    writeFileSync(csvIn, 'Job Title\nWerkstudent Vertrieb\n');
    expect((await cli('a', 'classify', '--csv', csvIn, '--no-progress')).stdout).toContain('override');

    expect((await cli('b', 'corrections', 'import', '--csv', first)).code).toBe(0);
    const second = join(dir, 'second.csv');
    expect((await cli('b', 'corrections', 'export', '--csv', second)).code).toBe(0);
    expect(readFileSync(second, 'utf8')).toBe(exported);
  });
});
