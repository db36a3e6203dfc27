/**
 * Scoring throughput on one core: npm run --silent bench:classify -- [--json] [--titles N] [--batch 512]
 *   [--encoder-titles N] [--repeat 0.5]
 *
 * Titles are the synthetic examples (examples/profiles.json), scored as whole profiles (batches of
 * about --batch titles) and repeated to N. There is no prediction cache: every title is prepared,
 * featurized and inferred each time; but the sentence encoder's embedding cache (an LRU here)
 * serves the examples' 189 titles after their first batch.
 * Prints one JSON object with --json: titlesPerSec (full scorer: text stage, features, ONNX
 * members, pool, fallback), keywordOnlyTitlesPerSec, p50BatchMs, p99BatchMs, rssMB.
 *
 * With the encoder installed, `encoder` measures it on --encoder-titles synthetic distinct titles
 * (EN/DE/FR): encoderOnlyTitlesPerSec (Transformers.js alone, uncached), cacheOffTitlesPerSec (the
 * full scorer on titles it never saw: every one is encoded), cacheOnTitlesPerSec (the full scorer on
 * a stream where --repeat of the titles were seen before; the 3,276 positions of the CV data files
 * already repeat 25% of their titles, and longer streams repeat more).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SentenceEncoder, defaultEncoderDir } from '../src/classify/encoder.ts';
import { EnsembleClassifier } from '../src/classify/ensemble.ts';
import { loadClassifier } from '../src/classify/load-classifier.ts';
import { loadKeywordRules } from '../src/classify/keyword-rules.ts';
import { KeywordClassifier } from '../src/classify/keywords.ts';
import type { TitleClassifier } from '../src/domain/prediction.ts';
import type { Position, ProfileMessage } from '../src/domain/profile.ts';
import { seededRandom } from '../src/ingest/kafka/synthetic-profiles.ts';
import { scoreProfiles, scoreTitles } from '../src/pipeline/score.ts';
import { classifierSource } from '../src/cli/context.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    titles: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '512' },
    'encoder-titles': { type: 'string', default: '2000' },
    repeat: { type: 'string', default: '0.5' },
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

const full = await loadClassifier(classifierSource());
await run(full); // warm-up: JIT and ONNX Runtime's first-run allocations
const measured = await run(full);
const keywordOnly = await run(new KeywordClassifier(loadKeywordRules()));
const rssMB = Math.round(process.memoryUsage().rss / 2 ** 20);
const encoder = full instanceof EnsembleClassifier && full.encoderStatus.state === 'loaded' ? await benchEncoder(full) : null;
const result = {
  modelVersion: full.modelVersion,
  titles: titleCount,
  batchSize,
  titlesPerSec: Math.round(measured.titlesPerSec),
  keywordOnlyTitlesPerSec: Math.round(keywordOnly.titlesPerSec),
  p50BatchMs: Number(percentile(measured.batchMs, 50).toFixed(2)),
  p99BatchMs: Number(percentile(measured.batchMs, 99).toFixed(2)),
  rssMB,
  encoder: encoder ?? (full instanceof EnsembleClassifier ? full.encoderStatus : 'no encoder members'),
};
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else console.table(result);

/** Distinct synthetic titles in three languages (level x field x scope), shuffled deterministically. */
function syntheticTitles(n: number): string[] {
  const levels = ['', 'Senior ', 'Junior ', 'Lead ', 'Head of ', 'Chief ', 'Leiter ', 'Stellvertretende Leiterin ', 'Responsable ', 'Directrice ', 'Assistant ', 'Werkstudent ', 'Stagiaire ', 'Principal ', 'Praktikantin '];
  const fields = ['Sales', 'Marketing', 'Software Engineering', 'Vertrieb', 'Einkauf', 'Buchhaltung', 'Ressources Humaines', 'Comptabilité', 'Achats', 'Kundenservice', 'Project Management', 'Data Science', 'Business Development', 'Recruiting', 'IT-Infrastruktur', 'Service Client', 'Logistik', 'Controlling', 'Communication', 'Qualitätssicherung'];
  const scopes = ['', ' EMEA', ' DACH', ' France', ' Deutschland', ' International', ' Key Accounts', ' B2B', ' Retail', ' Cloud', ' Backoffice', ' Région Sud', ' Mittelstand', ' Grands Comptes', ' Digital'];
  const all = levels.flatMap((l) => fields.flatMap((f) => scopes.map((s) => `${l}${f}${s}`)));
  const random = seededRandom(7);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  if (n > all.length) throw new Error(`--encoder-titles at most ${all.length / 2}`);
  return all.slice(0, n);
}

async function benchEncoder(classifier: EnsembleClassifier) {
  const n = Number(values['encoder-titles']);
  const repeat = Number(values.repeat);
  const distinct = syntheticTitles(2 * n);
  const timeBatches = async (titles: string[], score: (batch: string[]) => Promise<unknown>) => {
    const started = performance.now();
    for (let i = 0; i < titles.length; i += batchSize) await score(titles.slice(i, i + batchSize));
    return Math.round(titles.length / ((performance.now() - started) / 1000));
  };
  const classify = (batch: string[]) => scoreTitles(batch.map((title) => ({ title })), classifier);
  const cacheOff = await timeBatches(distinct.slice(0, n), classify);
  // A stream of n titles: each is, with probability `repeat`, one the stream already had.
  const random = seededRandom(11);
  const fresh = distinct.slice(n);
  const stream: string[] = [];
  for (let i = 0; i < n; i++) {
    stream.push(stream.length > 0 && random() < repeat ? stream[Math.floor(random() * stream.length)]! : fresh.pop()!);
  }
  const cacheOn = await timeBatches(stream, classify);
  const rssWithEncoderMB = Math.round(process.memoryUsage().rss / 2 ** 20);
  // The encoder alone, on titles it never saw (a second instance: the scorer's cache is warm).
  const alone = await SentenceEncoder.load(defaultEncoderDir());
  const encoderOnly = await timeBatches(syntheticTitles(n), (batch) => alone.encode(batch));
  await alone.dispose();
  return {
    version: alone.info.version,
    distinctTitles: n,
    encoderOnlyTitlesPerSec: encoderOnly,
    cacheOffTitlesPerSec: cacheOff,
    cacheOnTitlesPerSec: cacheOn,
    repeatRate: repeat,
    rssWithEncoderMB,
    cache: classifier.embeddingCacheStats(),
  };
}
