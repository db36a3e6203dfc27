/**
 * Scoring throughput on one core (run it under `taskset -c 0`):
 *
 *   npm run --silent bench:classify -- --json [--positions 1000000] [--unseen 2000] [--batch 512] [--data DIR]
 *
 * From one run, each title scored as `classify` scores it (a bare title: text stage, features,
 * members, pool, fallback), in batches of --batch:
 * - `unseenTitlesPerSec`: --unseen distinct synthetic EN/DE/FR titles on a fresh scorer: every
 *   cache cold, so the sentence encoder embeds every title (measured first, for that reason);
 * - `titlesPerSec`: the full scorer on a realistic stream of --positions positions, caches on as in
 *   production (the member cache and the embedding LRU, starting empty). Titles follow the
 *   unlabeled CV file's rank-frequency distribution extended Zipf-like: rank r is drawn with
 *   probability ∝ r^-s over a vocabulary of 1,000,000 titles, the file's distinct titles (most
 *   frequent first) at the first ranks and distinct variants of them (a field and a region added)
 *   beyond; s is fitted so that a sample the size of the file has as many distinct titles as the
 *   file (1,460 of 1,886: s ≈ 0.92). `streamDistinctTitles` says how many the stream holds;
 * - `keywordOnlyTitlesPerSec`: the keyword rules alone on the same stream;
 * - `rssMB`: resident memory at the end, everything loaded (`heapMB` of it the JavaScript heap in
 *   use, garbage not yet collected included; `externalMB` memory outside it); `memberCache`: rows
 *   scored and rows each member actually ran on.
 * The scorer is the one every command serves: ENCODER_MODE (cascade by default), MODELS_DIR, ENCODER_DIR.
 *
 * `--steps` measures each step of the scorer instead, cheapest first, each on a fresh scorer in
 * this process: the keyword rules, the ensemble without models/encoder, then for a model with
 * encoder members the cascade's first pool (ENCODER_MODE=off), the cascade and the full ensemble
 * (ENCODER_MODE=full), for one without (the shipped model) the whole ensemble (`full`). It prints each step's
 * `unseenTitlesPerSec` and `titlesPerSec` beside its in-domain accuracy recorded in the manifest
 * (`metrics.steps`, written by training), and `encoderTitles`: the titles the encoder embedded.
 *
 * Needs the unlabeled CV file: --data DIR or CV_DATA_DIR (linkedin-cvs-not-annotated.json).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EnsembleClassifier, type EncoderMode } from '../src/classify/ensemble.ts';
import { loadClassifier } from '../src/classify/load-classifier.ts';
import { loadManifest } from '../src/classify/manifest.ts';
import { loadKeywordRules } from '../src/classify/keyword-rules.ts';
import { KeywordClassifier } from '../src/classify/keywords.ts';
import type { TitleClassifier } from '../src/domain/prediction.ts';
import { seededRandom } from '../src/ingest/kafka/synthetic-profiles.ts';
import { scoreTitles } from '../src/pipeline/score.ts';
import { classifierSource } from '../src/cli/context.ts';
import { defaultEncoderDir } from '../src/classify/encoder.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    positions: { type: 'string', default: '1000000' },
    unseen: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '512' },
    data: { type: 'string', default: process.env.CV_DATA_DIR },
    steps: { type: 'boolean', default: false },
  },
});
const positions = Number(values.positions);
const unseen = Number(values.unseen);
const batchSize = Number(values.batch);
if (!values.data) throw new Error('bench:classify needs the CV data: --data DIR or CV_DATA_DIR (linkedin-cvs-not-annotated.json)');
const VOCABULARY = 1_000_000;

/** The file's titles (trimmed), most frequent first, ties by text. */
function fileTitles(dir: string): { titles: string[]; positions: number } {
  const profiles = JSON.parse(readFileSync(join(dir, 'linkedin-cvs-not-annotated.json'), 'utf8')) as { position: string }[][];
  const counts = new Map<string, number>();
  let n = 0;
  for (const profile of profiles) {
    for (const p of profile) {
      const title = p.position.trim();
      if (!title) continue;
      counts.set(title, (counts.get(title) ?? 0) + 1);
      n++;
    }
  }
  const titles = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || (a < b ? -1 : 1));
  return { titles, positions: n };
}

/** Cumulative Zipf(s) over `v` ranks, normalized. */
function zipfCdf(s: number, v: number): Float64Array {
  const cdf = new Float64Array(v);
  let sum = 0;
  for (let r = 0; r < v; r++) cdf[r] = sum += (r + 1) ** -s;
  for (let r = 0; r < v; r++) cdf[r]! /= sum;
  return cdf;
}

/** The exponent whose expected number of distinct ranks in `n` draws is `distinct` (bisection). */
function fitExponent(n: number, distinct: number, v: number): number {
  const expectedDistinct = (s: number) => {
    const cdf = zipfCdf(s, v);
    let e = 0;
    for (let r = 0; r < v; r++) e += 1 - (1 - (cdf[r]! - (r > 0 ? cdf[r - 1]! : 0))) ** n;
    return e;
  };
  let lo = 0.3;
  let hi = 2;
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (expectedDistinct(mid) > distinct) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

const FIELDS = ['Sales', 'Marketing', 'Finance', 'Einkauf', 'Vertrieb', 'Logistik', 'Controlling', 'Achats', 'Comptabilité', 'Recrutement', 'Data', 'Cloud', 'Produktion', 'Qualität', 'Service', 'Operations', 'Strategy', 'Digital', 'Retail', 'Automotive', 'Pharma', 'Energie', 'Banking', 'Insurance', 'Immobilien'];
const REGIONS = ['EMEA', 'DACH', 'France', 'Deutschland', 'Europe', 'APAC', 'Americas', 'Nord', 'Süd', 'West', 'Ost', 'International', 'Schweiz', 'Österreich', 'Benelux', 'Nordics', 'Iberia', 'Italia', 'UK', 'Paris', 'Berlin', 'München', 'Hamburg', 'Lyon', 'Zürich', 'Wien', 'Frankfurt', 'Köln'];

/** The title at rank r (0-based): the file's, else a variant of one of them, distinct per rank. */
function titleAt(r: number, titles: readonly string[]): string {
  if (r < titles.length) return titles[r]!;
  const k = r - titles.length;
  const base = titles[k % titles.length]!;
  const variant = Math.floor(k / titles.length);
  return `${base} ${FIELDS[variant % FIELDS.length]} ${REGIONS[Math.floor(variant / FIELDS.length) % REGIONS.length]}`;
}

/** Titles to score in order: an array, or a stream that makes each batch's titles when it is read. */
interface Titles {
  length: number;
  slice(start: number, end: number): string[];
}

/**
 * The realistic stream: n ranks drawn by Zipf(s), each batch's titles made from them when it is
 * read. Holding a million title strings would count some 70 MB of the benchmark against the
 * scorer's memory.
 */
function stream(titles: readonly string[], s: number, n: number): Titles & { distinct: number } {
  const cdf = zipfCdf(s, VOCABULARY);
  const random = seededRandom(20261203);
  const ranks = Int32Array.from({ length: n }, () => {
    const u = random();
    let lo = 0;
    let hi = VOCABULARY - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  });
  return {
    length: n,
    distinct: new Set(ranks).size,
    slice: (start, end) => Array.from(ranks.subarray(start, end), (r) => titleAt(r, titles)),
  };
}

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
  if (n > all.length) throw new Error(`--unseen at most ${all.length - WARM_UP}`);
  return all.slice(0, n);
}

/** Titles per second scoring `titles` in batches, as `classify --csv` and POST /classify do. */
async function titlesPerSec(classifier: TitleClassifier, titles: Titles): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < titles.length; i += batchSize) {
    await scoreTitles(titles.slice(i, i + batchSize).map((title) => ({ title })), classifier);
  }
  return Math.round(titles.length / ((performance.now() - started) / 1000));
}

const file = fileTitles(values.data);
const exponent = fitExponent(file.positions, file.titles.length, VOCABULARY);
const realistic = stream(file.titles, exponent, positions);

// The measured titles, then 1,000 more that only warm up (JIT, ONNX Runtime's first runs): with 64,
// the unseen figure measured the warm-up too (encoder off: about 2,950 titles/s instead of 4,100).
const WARM_UP = 1000;
const synthetic = syntheticTitles(unseen + WARM_UP);

/** Each step of the scorer on a fresh classifier: speed beside the manifest's accuracy. */
async function steps(): Promise<void> {
  const source = classifierSource();
  const modelsDir = source.modelsDir ?? fileURLToPath(new URL('../models', import.meta.url));
  const encoderDir = source.encoderDir ?? defaultEncoderDir();
  const config = loadKeywordRules();
  // A model without encoder members (the shipped one) serves the same pool in every ENCODER_MODE:
  // its step is `full`, the whole ensemble.
  const modes: EncoderMode[] = loadManifest(modelsDir, config).encoder ? ['off', 'cascade', 'full'] : ['full'];
  const plan: [string, () => Promise<TitleClassifier>][] = [
    ['keywords', async () => new KeywordClassifier(config)],
    ['no models/encoder', () => EnsembleClassifier.load(modelsDir, config, { encoderDir: join(encoderDir, 'absent') })],
    ...modes.map((mode): [string, () => Promise<TitleClassifier>] => [
      mode,
      () => EnsembleClassifier.load(modelsDir, config, { encoderDir, encoderMode: mode }),
    ]),
  ];
  for (const [step, load] of plan) {
    const classifier = await load();
    await titlesPerSec(classifier, synthetic.slice(unseen)); // warm-up
    const unseenRate = await titlesPerSec(classifier, synthetic.slice(0, unseen));
    const rate = await titlesPerSec(classifier, realistic);
    const ensemble = classifier instanceof EnsembleClassifier ? classifier : null;
    const accuracy = (ensemble?.manifest.metrics as { steps?: Record<string, unknown> } | undefined)?.steps?.[step] ?? null;
    const row = {
      step,
      modelVersion: classifier.modelVersion,
      encoder: ensemble?.encoderStatus.state ?? null,
      positions,
      unseenTitlesPerSec: unseenRate,
      titlesPerSec: rate,
      encoderTitles: ensemble?.embeddingCacheStats()?.computed ?? 0,
      inDomain: accuracy,
    };
    if (values.json) process.stdout.write(`${JSON.stringify(row)}\n`);
    else console.log(row);
  }
}
if (values.steps) {
  await steps();
  process.exit(0);
}

const full = await loadClassifier(classifierSource());
await titlesPerSec(full, synthetic.slice(unseen)); // warm-up (JIT, ONNX Runtime's first runs) on titles measured nowhere
const unseenTitlesPerSec = await titlesPerSec(full, synthetic.slice(0, unseen));
const fullTitlesPerSec = await titlesPerSec(full, realistic);
const keywordOnlyTitlesPerSec = await titlesPerSec(new KeywordClassifier(loadKeywordRules()), realistic);
const ensemble = full instanceof EnsembleClassifier ? full : null;
const result = {
  modelVersion: full.modelVersion,
  encoder: ensemble?.encoderStatus.state ?? 'no encoder members',
  encoderMode: classifierSource().encoderMode,
  positions,
  streamDistinctTitles: realistic.distinct,
  zipfExponent: Number(exponent.toFixed(3)),
  batchSize,
  titlesPerSec: fullTitlesPerSec,
  unseenTitles: unseen,
  unseenTitlesPerSec,
  keywordOnlyTitlesPerSec,
  rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
  // Of which the JavaScript heap (the caches, the answers) and memory outside it (typed arrays, ONNX Runtime).
  heapMB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
  externalMB: Math.round(process.memoryUsage().external / 2 ** 20),
  memberCache: ensemble?.memberCacheStats() ?? null,
  embeddingCache: ensemble?.embeddingCacheStats() ?? null,
};
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else console.log(result);
