/**
 * `bench:analytics`, reduced: it builds a database by COPY, rebuilds the statistics, stores jobs
 * through the real writer (one re-delivered) and times every read; its figures are for the README,
 * but its own check must hold here too: the incremental counters equal a rebuild from the rows.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const serverUrl = process.env.TEST_DATABASE_URL;

describe.runIf(serverUrl)('bench:analytics (reduced)', () => {
  it('prints one JSON object per run, with counters equal to a rebuild', async () => {
    const { stdout } = await promisify(execFile)(
      'npx',
      ['tsx', 'bench/analytics.ts', '--json', '--sizes', '30000', '--jobs', '4', '--job-profiles', '100'],
      { env: { ...process.env, BENCH_DATABASE_URL: serverUrl }, timeout: 240_000 },
    );
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]!) as { sizes: Record<string, unknown>[] };
    expect(result.sizes).toHaveLength(1);
    const [size] = result.sizes;
    expect(size).toMatchObject({ positions: 30000, countersMatch: true, jobProfiles: 100 });
    for (const key of ['ingestMsPerJob', 'pageMs', 'namedQueryMaxMs', 'rebuildMs', 'diskMB', 'explorerFirstPageMaxMs', 'explorerDeepPageMs', 'reviewQueueMs']) {
      expect(size![key], key).toBeGreaterThan(0);
    }
    expect(Object.keys(size!.namedQueries as object)).toContain('department-transitions');
    expect(Object.keys(size!.explorerFirstPageMs as object)).toEqual(['none', 'seniority', 'department', 'organization', 'title', 'confidence', 'fallback', 'combined']);
  }, 300_000);
});
