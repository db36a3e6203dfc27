/**
 * Scoring throughput on one core: npm run --silent bench:classify -- [--json] [--titles N] [--batch 512]
 *
 * Titles are the synthetic examples (examples/profiles.json), scored as whole profiles (batches of
 * about --batch titles) and repeated to N. There is no prediction cache: every title is prepared,
 * featurized and inferred each time.
 * Prints one JSON object with --json: titlesPerSec (full scorer: text stage, features, ONNX
 * members, pool, fallback), keywordOnlyTitlesPerSec, p50BatchMs, p99BatchMs, rssMB.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadClassifier } from '../src/classify/load-classifier.ts';
import { KeywordClassifier } from '../src/classify/keywords.ts';
import type { TitleClassifier } from '../src/domain/prediction.ts';
import type { Position, ProfileMessage } from '../src/domain/profile.ts';
import { scoreProfiles } from '../src/pipeline/score.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    titles: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '512' },
  },
});
const total = Number(values.titles);
const batchSize = Number(values.batch);

const examples = JSON.parse(readFileSync(new URL('../examples/profiles.json', import.meta.url), 'utf8')) as Position[][];

/** Batches of whole profiles holding about `batchSize` titles each, `total` titles in all. */
function batches(): ProfileMessage[][] {
  const out: ProfileMessage[][] = [];
  let batch: ProfileMessage[] = [];
  let inBatch = 0;
  for (let n = 0, i = 0; n < total; i++) {
    const positions = examples[i % examples.length]!;
    batch.push({ profileId: `bench-${i}`, positions });
    inBatch += positions.length;
    n += positions.length;
    if (inBatch >= batchSize) {
      out.push(batch);
      batch = [];
      inBatch = 0;
    }
  }
  if (batch.length > 0) out.push(batch);
  return out;
}
const work = batches();
const titleCount = work.flat().reduce((n, p) => n + p.positions.length, 0);

/** Times the scoring core end to end (text stage, features, members, pool, career features). */
async function run(classifier: TitleClassifier): Promise<{ titlesPerSec: number; batchMs: number[] }> {
  const batchMs: number[] = [];
  const started = performance.now();
  for (const batch of work) {
    const t0 = performance.now();
    await scoreProfiles(batch, classifier, '2026-11');
    batchMs.push(performance.now() - t0);
  }
  return { titlesPerSec: titleCount / ((performance.now() - started) / 1000), batchMs };
}

function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const full = await loadClassifier();
await run(full); // warm-up: JIT and ONNX Runtime's first-run allocations
const measured = await run(full);
const keywordOnly = await run(new KeywordClassifier());
const result = {
  modelVersion: full.modelVersion,
  titles: titleCount,
  batchSize,
  titlesPerSec: Math.round(measured.titlesPerSec),
  keywordOnlyTitlesPerSec: Math.round(keywordOnly.titlesPerSec),
  p50BatchMs: Number(percentile(measured.batchMs, 50).toFixed(2)),
  p99BatchMs: Number(percentile(measured.batchMs, 99).toFixed(2)),
  rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
};
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else console.table(result);
