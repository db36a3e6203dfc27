/**
 * One answer for a title wherever it is asked: a bare title (`classify`, `classify --csv`,
 * `POST /classify`, all through scoreTitles) gets exactly the answer `run` gives the profile
 * holding that one position with its organization and no dates. Checked over every dev CV title
 * with the shipped ensemble, and with the keyword rules alone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EnsembleClassifier } from '../../src/classify/ensemble.ts';
import { KeywordClassifier } from '../../src/classify/keywords.ts';
import { TASKS } from '../../src/domain/labels.ts';
import type { TitleClassifier } from '../../src/domain/prediction.ts';
import type { AnnotatedPosition } from '../../src/domain/profile.ts';
import { titleAnswer } from '../../src/pipeline/answer.ts';
import { scoreProfiles, scoreTitles } from '../../src/pipeline/score.ts';
import { datasetDir } from '../helpers/required-services.ts';
import { keywordConfig } from '../helpers/text.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const modelDir = join(root, 'models');
const dataDir = datasetDir('the title/profile consistency over the dev CV titles');

function devTitles(dir: string): { title: string; organization: string | null }[] {
  const cvs = JSON.parse(readFileSync(join(dir, 'linkedin-cvs-annotated-dev.json'), 'utf8')) as AnnotatedPosition[][];
  const seen = new Set<string>();
  const out: { title: string; organization: string | null }[] = [];
  for (const p of cvs.flat()) {
    const organization = p.organization ?? null;
    const key = JSON.stringify([p.position, organization]);
    if (p.position.trim() === '' || seen.has(key)) continue;
    seen.add(key);
    out.push({ title: p.position, organization });
  }
  return out;
}

const classifiers: [string, () => Promise<TitleClassifier>][] = [
  ['the keyword rules', async () => new KeywordClassifier(keywordConfig)],
  ...(existsSync(join(modelDir, 'manifest.json')) ? [['the shipped ensemble', () => EnsembleClassifier.load(modelDir, keywordConfig)] as [string, () => Promise<TitleClassifier>]] : []),
];

describe.runIf(dataDir).each(classifiers)('a bare title and its one-position profile, with %s', (_name, load) => {
  it('get the same labels, confidences, sources and probabilities for every dev CV title', { timeout: 600_000 }, async () => {
    const classifier = await load();
    const queries = devTitles(dataDir!);
    expect(queries.length).toBeGreaterThan(900);
    const bare = await scoreTitles(queries, classifier);
    const profiles = await scoreProfiles(
      queries.map((q, i) => ({ profileId: `p${i}`, positions: [{ position: q.title, organization: q.organization }] })),
      classifier,
      '2026-12',
    );
    const mismatches = queries.flatMap((q, i) => {
      const a = titleAnswer(bare[i]!);
      const b = titleAnswer({ title: profiles[i]!.positions[0]!.title, prediction: profiles[i]!.positions[0]!.prediction });
      return TASKS.flatMap((task) =>
        a[task].label === b[task].label && a[task].source === b[task].source && Math.abs(a[task].confidence - b[task].confidence) < 1e-9
          ? []
          : [`${q.title} (${q.organization}) ${task}: ${a[task].label} ${a[task].confidence} vs ${b[task].label} ${b[task].confidence}`],
      );
    });
    expect(mismatches.slice(0, 10)).toEqual([]);
    // Both views ask the same scorer: the answers carry the same member probabilities too.
    expect(bare.slice(0, 50).map(titleAnswer)).toEqual(profiles.slice(0, 50).map((p) => titleAnswer({ title: p.positions[0]!.title, prediction: p.positions[0]!.prediction })));
  });
});
