/**
 * The trained ensemble: ONNX members combined by the pool of the manifest, with the keyword rules
 * as fallback where the pool is unsure. Every prediction records its source and each member's
 * probabilities.
 *
 * Pool (fitted in training/cvtrain/pool.py): z_c = sum_m w_m * log(p_mc + 1e-6) + b_c, p = softmax(z).
 *
 * The encoder members need the sentence encoder of models/encoder (not in git: npm run
 * models:encoder). Where it is absent, or is another version than the members were trained
 * with, the ensemble serves the pool fitted without them, says so once in the log and in
 * `encoderStatus` (shown by /readyz), and every prediction lists the members that decided it.
 */
import { CLASSES, TASKS, type LabelOf, type Task } from '../domain/labels.ts';
import type { PositionPrediction, PreparedTitle, ProfileContext, TaskPrediction, TitleClassifier } from '../domain/prediction.ts';
import { DENSE_FEATURES, denseFeatures, titleNgrams } from '../features/title-features.ts';
import { logger } from '../logger.ts';
import type { EmbeddingStore } from './embedding-cache.ts';
import { SentenceEncoder, defaultEncoderDir, readConcepts, readEncoderInfo } from './encoder.ts';
import type { KeywordResult } from '../domain/prediction.ts';
import { createTitlePreparer, type TitlePreparer } from '../text/prepare.ts';
import type { KeywordConfig } from './keyword-rules.ts';
import { type KeywordScorer, createKeywordScorer } from './keywords.ts';
import { type Manifest, type PoolSpec, loadManifest } from './manifest.ts';
import { MemberCache, type MemberCacheStats } from './member-cache.ts';
import { type FeatureBatch, type MemberOutput, type Neighbour, OnnxMember } from './onnx-member.ts';

const EPS = 1e-6;

/** Probabilities of one title for one task: per member and pooled. */
export interface TaskScores {
  members: Record<string, number[]>;
  pooled: number[];
  /** Nearest labeled titles, where a nearest-neighbour member ran. */
  neighbours?: Neighbour[];
}

/** Whether the sentence encoder serves, for the log, /readyz and the prediction's explanation. */
export interface EncoderStatus {
  /** `loaded`; `absent` (not installed); `mismatch` (another version or concepts than trained with); `unused` (the model has no encoder members). */
  state: 'loaded' | 'absent' | 'mismatch' | 'unused';
  detail: string;
}

export class EnsembleClassifier implements TitleClassifier {
  readonly modelVersion: string;
  readonly prepare: TitlePreparer;
  private readonly keywordScore: KeywordScorer;
  private readonly pools: Record<Task, PoolSpec>;
  private readonly caches: MemberCache[];

  private constructor(
    readonly manifest: Manifest,
    config: KeywordConfig,
    private readonly members: OnnxMember[],
    private readonly encoder: SentenceEncoder | null,
    readonly encoderStatus: EncoderStatus,
  ) {
    this.modelVersion = manifest.version;
    this.prepare = createTitlePreparer(config.text);
    this.keywordScore = createKeywordScorer(config.rules);
    this.pools = Object.fromEntries(TASKS.map((task) => [task, servedPool(manifest, task, encoder !== null)])) as Record<Task, PoolSpec>;
    this.caches = members.map((member) => new MemberCache(member));
  }

  /**
   * Loads and checks `dir/manifest.json` against `config` (the text tables and keyword rules it
   * was trained with, pinned by their digests), creates every ONNX session and, when the manifest
   * has encoder members, the sentence encoder of `encoderDir` (default models/encoder).
   */
  static async load(dir: string, config: KeywordConfig, options: { encoderDir?: string } = {}): Promise<EnsembleClassifier> {
    const manifest = loadManifest(dir, config);
    const { encoder, status } = await loadEncoder(manifest, options.encoderDir ?? defaultEncoderDir());
    const specs = manifest.members.filter((spec) => encoder || spec.input !== 'encoder');
    const members = await Promise.all(specs.map((spec) => OnnxMember.load(dir, spec)));
    const classifier = new EnsembleClassifier(manifest, config, members, encoder, status);
    if (status.state === 'absent' || status.state === 'mismatch') {
      logger.warn({ modelVersion: manifest.version, encoder: status }, `scoring without the sentence encoder: ${status.detail}`);
    }
    return classifier;
  }

  /** Members serving now, per task (the explanation of a degraded ensemble). */
  servedMembers(task: Task): readonly string[] {
    return this.pools[task].members;
  }

  /** Keeps title embeddings in a shared store (Postgres) besides the in-process LRU. */
  useEmbeddingStore(store: EmbeddingStore): void {
    this.encoder?.useStore(store);
  }

  /** The embedding cache's counters, where the encoder serves. */
  embeddingCacheStats() {
    return this.encoder?.cacheStats() ?? null;
  }

  /** Per member: rows scored and rows it actually ran on (member-cache.ts). */
  memberCacheStats(): Record<string, MemberCacheStats> {
    return Object.fromEntries(this.members.map((m, i) => [m.name, this.caches[i]!.stats()]));
  }

  /** Every feature the members read, the encoder's included (the parity test's input too). */
  async featurize(titles: readonly PreparedTitle[], contexts?: readonly (ProfileContext | null)[]) {
    const featurized = featurize(titles, contexts, this.keywordScore);
    if (this.encoder) featurized.batch.encoder = await this.encoder.features(titles);
    return featurized;
  }

  /**
   * Predictions for titles in their profile contexts. Each member runs only on the inputs its cache
   * lacks (member-cache.ts), and the sentence encoder only on titles whose encoder-member output is
   * not cached: the same probabilities as `score` on the whole batch.
   */
  async classify(titles: readonly PreparedTitle[], contexts?: readonly (ProfileContext | null)[]): Promise<PositionPrediction[]> {
    if (titles.length === 0) return [];
    const { batch, keywords } = featurize(titles, contexts, this.keywordScore);
    const encoderFeatures = async (rows: number[]) => this.encoder?.features(rows.map((r) => titles[r]!));
    const outputs = await Promise.all(this.caches.map((cache) => cache.predict(batch, titles, encoderFeatures)));
    const scores = this.pool(outputs, batch.size);
    return titles.map((_, i) => ({
      seniority: this.decide('seniority', scores.seniority[i]!, keywords[i]!),
      department: this.decide('department', scores.department[i]!, keywords[i]!),
    }));
  }

  /** Member and pooled probabilities for a featurized batch, every member run on every row (what the parity test checks). */
  async score(batch: FeatureBatch): Promise<Record<Task, TaskScores[]>> {
    return this.pool(await Promise.all(this.members.map((m) => m.predict(batch))), batch.size);
  }

  private pool(outputs: readonly MemberOutput[], size: number): Record<Task, TaskScores[]> {
    const byName = new Map<string, MemberOutput>(this.members.map((m, i) => [m.name, outputs[i]!]));
    return Object.fromEntries(TASKS.map((task) => [task, poolTask(this.pools[task], byName, task, size)])) as Record<Task, TaskScores[]>;
  }

  private decide<T extends Task>(task: T, scores: TaskScores, keyword: KeywordResult): TaskPrediction<LabelOf<T>> {
    const classes = CLASSES[task] as unknown as readonly LabelOf<T>[];
    const best = argmax(scores.pooled);
    const confidence = scores.pooled[best]!;
    const threshold = this.pools[task].fallbackThreshold;
    const memberText = Object.entries(scores.members)
      .map(([name, p]) => `${name} ${classes[argmax(p)]} ${p[argmax(p)]!.toFixed(2)}`)
      .join(', ');
    const degraded = this.encoder === null && this.encoderStatus.state !== 'unused' ? '; without the sentence encoder' : '';
    const nearest = scores.neighbours
      ? `; nearest: ${scores.neighbours.slice(0, 3).map((n) => `${n.title} → ${n.label} ${n.similarity.toFixed(2)}`).join(', ')}`
      : '';
    const extra = { probabilities: scores.pooled, members: scores.members, ...(scores.neighbours ? { neighbours: scores.neighbours } : {}) };
    if (confidence < threshold) {
      const rule = keyword.prediction[task];
      return {
        label: rule.label as LabelOf<T>,
        confidence: rule.confidence,
        source: 'fallback',
        why: `ensemble unsure (${classes[best]} ${confidence.toFixed(2)} < ${threshold}${degraded}); keywords: ${rule.why}`,
        ...extra,
      };
    }
    return {
      label: classes[best]!,
      confidence,
      source: 'ensemble',
      why: `ensemble ${confidence.toFixed(2)} (${memberText}${degraded})${nearest}`,
      ...extra,
    };
  }
}

function poolTask(spec: PoolSpec, outputs: Map<string, MemberOutput>, task: Task, size: number): TaskScores[] {
  const c = CLASSES[task].length;
  const rows: TaskScores[] = [];
  for (let r = 0; r < size; r++) {
    const members: Record<string, number[]> = {};
    let neighbours: Neighbour[] | undefined;
    const z = spec.bias.slice();
    spec.members.forEach((name, m) => {
      const output = outputs.get(name)!;
      const probs = Array.from(output[task].subarray(r * c, (r + 1) * c));
      members[name] = probs;
      neighbours ??= output.neighbours?.[task][r];
      for (let k = 0; k < c; k++) z[k]! += spec.weights[m]! * Math.log(probs[k]! + EPS);
    });
    rows.push({ members, pooled: softmax(z), ...(neighbours ? { neighbours } : {}) });
  }
  return rows;
}

/** The pool to serve: the full one with the encoder, else the one fitted without encoder members. */
function servedPool(manifest: Manifest, task: Task, withEncoder: boolean): PoolSpec {
  const pool = manifest.ensemble[task];
  const usesEncoder = pool.members.some((name) => manifest.members.find((m) => m.name === name)?.input === 'encoder');
  if (withEncoder || !usesEncoder) return pool;
  if (!pool.withoutEncoder) {
    throw new Error(`model ${manifest.version} needs the sentence encoder for ${task} and has no pool without it: run npm run models:encoder`);
  }
  return pool.withoutEncoder;
}

/** The sentence encoder the manifest's encoder members were trained with, if installed. */
async function loadEncoder(manifest: Manifest, dir: string): Promise<{ encoder: SentenceEncoder | null; status: EncoderStatus }> {
  const wanted = manifest.encoder;
  if (!wanted) return { encoder: null, status: { state: 'unused', detail: 'the model has no encoder members' } };
  const info = readEncoderInfo(dir);
  if (!info) {
    return { encoder: null, status: { state: 'absent', detail: `no sentence encoder in ${dir} (npm run models:encoder installs ${wanted.version})` } };
  }
  if (info.version !== wanted.version) {
    return { encoder: null, status: { state: 'mismatch', detail: `${dir} holds encoder ${info.version}, the model was trained with ${wanted.version}` } };
  }
  const concepts = readConcepts();
  if (concepts.sha256 !== wanted.conceptsSha256) {
    return { encoder: null, status: { state: 'mismatch', detail: 'config/concepts.json changed since training (retrain with npm run train)' } };
  }
  const encoder = await SentenceEncoder.load(dir, concepts);
  return { encoder, status: { state: 'loaded', detail: `sentence encoder ${info.version}` } };
}

/**
 * Features of a batch: keyword results of every title's whole profile (computed once per profile),
 * n-grams and the dense vector.
 */
export function featurize(
  titles: readonly PreparedTitle[],
  contexts: readonly (ProfileContext | null)[] | undefined,
  keywordScores: KeywordScorer,
): { batch: FeatureBatch; keywords: KeywordResult[] } {
  const perProfile = new Map<readonly PreparedTitle[], KeywordResult[]>();
  const width = DENSE_FEATURES.length;
  const dense = new Float32Array(titles.length * width);
  const keywords: KeywordResult[] = [];
  titles.forEach((title, i) => {
    const context = contexts?.[i] ?? null;
    let kw: KeywordResult[];
    if (context) {
      kw = perProfile.get(context.titles) ?? context.titles.map(keywordScores);
      perProfile.set(context.titles, kw);
    } else {
      kw = [keywordScores(title)];
    }
    keywords.push(kw[context?.index ?? 0]!);
    dense.set(denseFeatures(title, kw, context), i * width);
  });
  return { batch: { size: titles.length, ngrams: titles.map(titleNgrams), dense, denseWidth: width }, keywords };
}

function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

function softmax(z: readonly number[]): number[] {
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}
