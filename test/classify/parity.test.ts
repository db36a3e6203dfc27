/**
 * TypeScript serving must reproduce Python's probabilities: training/train.py runs ONNX Runtime
 * (Python) over the featurized examples and stores the results in golden.json; here the same
 * examples go through the TypeScript featurizer and onnxruntime-node.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EnsembleClassifier } from '../../src/classify/ensemble.ts';
import { defaultEncoderDir } from '../../src/classify/encoder.ts';
import { TASKS } from '../../src/domain/labels.ts';
import type { PreparedTitle, ProfileContext } from '../../src/domain/prediction.ts';
import type { Position } from '../../src/domain/profile.ts';
import { keywordConfig, prepareTitle } from '../helpers/text.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
// The shipped models, plus a freshly trained reduced model where CI built one.
const modelDirs = [join(root, 'models'), process.env.EXTRA_MODELS_DIR].filter(
  (dir): dir is string => !!dir && existsSync(join(dir, 'manifest.json')),
);

type GoldenTasks = Record<
  string,
  { members: Record<string, number[][]>; ensemble: number[][]; ensembleWithoutEncoder?: number[][]; ensembleCascade?: number[][] }
>;

interface Golden {
  rows: [string, number][];
  /** The encoder features the golden outputs came from (float32, base64), where members read them. */
  encoderFeatures?: { width: number; float32: string };
  tasks: GoldenTasks;
  /**
   * The same model's outputs recorded on another CPU family. The int8 kernels of ONNX Runtime
   * (the encoder's, and the nearest-neighbour members' MatMulIntegerToFloat) give different results
   * on x86-64 CPUs without AVX-512 VNNI, where u8×s8 products saturate; Python and TypeScript agree
   * on each family, so serving must match the outputs of one of them.
   */
  alternates?: { cpu: string; encoderFeatures?: Golden['encoderFeatures']; tasks: GoldenTasks }[];
}

function goldenInputs(golden: Golden) {
  const profiles = JSON.parse(readFileSync(join(root, 'examples/profiles.json'), 'utf8')) as Position[][];
  const titles: PreparedTitle[] = [];
  const contexts: ProfileContext[] = [];
  const prepared = profiles.map((positions) => positions.map((p) => prepareTitle(p.position, p.organization ?? null)));
  for (const [group, index] of golden.rows) {
    const p = Number(group.replace('golden-', ''));
    titles.push(prepared[p]![index]!);
    contexts.push({ index, positions: profiles[p]!, titles: prepared[p]! });
  }
  return { titles, contexts };
}

function minRowCosine(a: Float32Array, b: Float32Array, width: number): number {
  let min = 1;
  for (let r = 0; r < a.length / width; r++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let j = r * width; j < (r + 1) * width; j++) {
      ab += a[j]! * b[j]!;
      aa += a[j]! ** 2;
      bb += b[j]! ** 2;
    }
    min = Math.min(min, ab / Math.sqrt(aa * bb));
  }
  return min;
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  let max = 0;
  a.forEach((row, i) => row.forEach((v, j) => (max = Math.max(max, Math.abs(v - b[i]![j]!)))));
  return max;
}

describe.each(modelDirs)('ONNX serving parity with Python for %s', (dir) => {
  const golden = JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8')) as Golden;
  const members = Object.keys(golden.tasks.seniority!.members);
  const usesEncoder = members.some((m) => m.startsWith('encoder_'));
  const usesStatic = members.some((m) => m.startsWith('static_'));

  // With encoder or static members this needs models/encoder, and its static table (CI installs
  // both; the encoder tests insist on them there; a fresh clone has neither).
  it.skipIf(
    (usesEncoder && !existsSync(join(defaultEncoderDir(), 'encoder.json'))) ||
      (usesStatic && !existsSync(join(defaultEncoderDir(), 'static', 'static.json'))),
  )(
    'reproduces every member and the pool within 1e-4 on the golden set',
    async () => {
      expect(golden.rows.length).toBeGreaterThan(100);
      const ensemble = await EnsembleClassifier.load(dir, keywordConfig);
      expect(ensemble.encoderStatus.state).toBe(usesEncoder ? 'loaded' : 'unused');
      const { titles, contexts } = goldenInputs(golden);
      const { batch } = await ensemble.featurize(titles, contexts);
      const local = batch.encoder;
      const variants = [{ cpu: 'the training machine', encoderFeatures: golden.encoderFeatures, tasks: golden.tasks }, ...(golden.alternates ?? [])];
      const misses: string[] = [];
      for (const variant of variants) {
        if (variant.encoderFeatures) {
          // The members get the recorded encoder features; the local encoder must come close to
          // them (its int8 kernels differ between CPUs), not match bit for bit.
          const stored = new Float32Array(Buffer.from(variant.encoderFeatures.float32, 'base64').buffer.slice(0));
          expect(local!.width).toBe(variant.encoderFeatures.width);
          expect(minRowCosine(local!.data, stored, local!.width)).toBeGreaterThan(0.995);
          batch.encoder = { data: stored, width: variant.encoderFeatures.width };
        }
        const scores = await ensemble.score(batch);
        const off = TASKS.flatMap((task) => {
          const expected = variant.tasks[task]!;
          const diffs: [string, number][] = [
            ...Object.entries(expected.members).map(([member, probs]): [string, number] => [`${task} ${member}`, maxAbsDiff(scores[task].map((s) => s.members[member]!), probs)]),
            [`${task} pool`, maxAbsDiff(scores[task].map((s) => s.pooled), expected.ensemble)],
            // The cascade's cheap pool (static embeddings, no encoder), where the model has one.
            ...(expected.ensembleCascade ? [[`${task} cascade pool`, maxAbsDiff(scores[task].map((s) => s.cascade!), expected.ensembleCascade)] as [string, number]] : []),
          ];
          return diffs.filter(([, d]) => d > 1e-4).map(([what, d]) => `${what} off by ${d.toFixed(5)}`);
        });
        if (off.length === 0) return; // every member and the pool within 1e-4 of this variant
        misses.push(`${variant.cpu}: ${off.join(', ')}`);
      }
      expect.fail(`serving matches no recorded variant within 1e-4:\n${misses.join('\n')}`);
    },
    60_000,
  );

  it.runIf(usesEncoder)('reproduces the pool without the encoder where the encoder is absent', async () => {
    const ensemble = await EnsembleClassifier.load(dir, keywordConfig, { encoderDir: join(dir, 'no-such-encoder') });
    expect(ensemble.encoderStatus.state).toBe('absent');
    const { titles, contexts } = goldenInputs(golden);
    const scores = await ensemble.score((await ensemble.featurize(titles, contexts)).batch);
    for (const task of TASKS) {
      expect(Object.keys(scores[task][0]!.members).some((m) => m.startsWith('encoder_'))).toBe(false);
      expect(maxAbsDiff(scores[task].map((s) => s.pooled), golden.tasks[task]!.ensembleWithoutEncoder!), `${task} pool`).toBeLessThanOrEqual(1e-4);
    }
  });
});

it('has shipped models to check', () => {
  expect(modelDirs.length).toBeGreaterThan(0);
});
