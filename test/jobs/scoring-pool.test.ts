import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadClassifier } from '../../src/classify/load-classifier.ts';
import type { Position, ProfileMessage } from '../../src/domain/profile.ts';
import { ScoringPool } from '../../src/queues/backfill/scoring-pool.ts';
import { scoreProfiles } from '../../src/pipeline/score.ts';

const examples = JSON.parse(readFileSync(new URL('../../examples/profiles.json', import.meta.url), 'utf8')) as Position[][];
const profiles: ProfileMessage[] = examples.map((positions, i) => ({ profileId: `e${i}`, positions }));

describe('scoring on worker threads', () => {
  it('gives exactly what the main thread gives, batch by batch, with the same model version', { timeout: 60_000 }, async () => {
    const classifier = await loadClassifier();
    const pool = await ScoringPool.start(2);
    try {
      expect(pool.modelVersion).toBe(classifier.modelVersion);
      const batches = [profiles.slice(0, 20), profiles.slice(20, 35), profiles.slice(35)];
      const threaded = await Promise.all(batches.map((b) => pool.score(b, '2024-06')));
      const direct = await Promise.all(batches.map((b) => scoreProfiles(b, classifier, '2024-06')));
      expect(threaded).toEqual(direct);
    } finally {
      await pool.close();
    }
  });

  it('fails a batch with the scoring error instead of hanging', { timeout: 60_000 }, async () => {
    const pool = await ScoringPool.start(1);
    try {
      await expect(pool.score([{ profileId: 'bad', positions: [{ position: 'CEO', startDate: '2020-01' }] }], 'not a month')).rejects.toThrow(
        "asOf must be a YYYY-MM month, got 'not a month'",
      );
    } finally {
      await pool.close();
    }
  });
});
