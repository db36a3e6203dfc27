/**
 * The trained ensemble: ONNX members combined by the pool of the manifest, with the keyword rules
 * as fallback where the pool is unsure. Every prediction records its source and each member's
 * probabilities.
 *
 * Pool (fitted in training/cvtrain/pool.py): z_c = sum_m w_m * log(p_mc + 1e-6) + b_c, p = softmax(z).
 *
 * The encoder members need the sentence encoder of models/encoder (not in git: npm run
 * models:encoder), the static members the table distilled from it (models/encoder/static). Where
 * they are absent, or are other versions than the members were trained with, the ensemble serves
 * the pool fitted without them, says so once in the log and in `encoderStatus` (shown by /readyz),
 * and every prediction lists the members that decided it.
 *
 * The cascade (ENCODER_MODE=cascade, the default): the pool without the encoder members (static
 * ones included, where the model has them) scores every title; only where its confidence for a
 * task is below the manifest's `escalateBelow` does the sentence encoder run and the full pool
 * decide that task. `full` runs the encoder on every title; `off` never loads it.
 */
import { CLASSES, TASKS, type LabelOf, type Task } from '../domain/labels.ts';
import type { PositionPrediction, PreparedTitle, ProfileContext, TaskPrediction, TitleClassifier } from '../domain/prediction.ts';
import { DENSE_FEATURES, denseFeatures, titleNgrams } from '../features/title-features.ts';
import { logger } from '../logger.ts';
import type { EmbeddingStore } from './embedding-cache.ts';
import { SentenceEncoder, defaultEncoderDir, readConcepts, readEncoderInfo } from './encoder.ts';
import { StaticEmbedder, readStaticInfo } from './static-embedding.ts';
import type { KeywordResult } from '../domain/prediction.ts';
import { LRUCache } from 'lru-cache';
import { cachedPreparer, createTitlePreparer, rawTitleKey, type TitlePreparer } from '../text/prepare.ts';
import type { KeywordConfig } from './keyword-rules.ts';
import { type KeywordScorer, createKeywordScorer } from './keywords.ts';
import { type Manifest, type MemberSpec, type PoolSpec, loadManifest } from './manifest.ts';
import { MemberCache, type MemberCacheStats, type SemanticFeaturesOf, selectRows } from './member-cache.ts';
import { type FeatureBatch, type MemberOutput, type Neighbour, OnnxMember, type SemanticInput } from './onnx-member.ts';

const EPS = 1e-6;
/** Bare-title answers kept: a Zipf-like stream repeats its head (bench:classify, ENCODER_MODE=off, 100k
 * positions: 6,286 titles/s without, 7,709 with 20,000, 8,261 with 50,000; RSS within run-to-run noise). */
const BARE_ANSWERS = 50_000;

/** Probabilities of one title for one task: per member and pooled. */
export interface TaskScores {
  members: Record<string, number[]>;
  pooled: number[];
  /** Nearest labeled titles, where a nearest-neighbour member ran. */
  neighbours?: Neighbour[];
  /** `score` only: the cascade's cheap pool on the same row, where the manifest has one and it can serve. */
  cascade?: number[];
}

/** How much of the sentence encoder serves: see the file comment. */
export const ENCODER_MODES = ['cascade', 'full', 'off'] as const;
export type EncoderMode = (typeof ENCODER_MODES)[number];

/** The pools serving one task: `pool` decides every title; where it is unsure, `escalate` decides. */
interface ServedTask {
  pool: PoolSpec;
  escalate: { below: number; pool: PoolSpec } | null;
}

/** Whether the sentence encoder serves, for the log, /readyz and the prediction's explanation. */
export interface EncoderStatus {
  /** `loaded`; `absent` (not installed); `mismatch` (another version or concepts than trained with);
   * `off` (ENCODER_MODE=off: not loaded by choice); `unused` (the model has no encoder members; its static
   * members, if any, are served by the static table alone). */
  state: 'loaded' | 'absent' | 'mismatch' | 'off' | 'unused';
  detail: string;
}

export class EnsembleClassifier implements TitleClassifier {
  readonly modelVersion: string;
  readonly prepare: TitlePreparer;
  private readonly keywordScore: KeywordScorer;
  private readonly served: Record<Task, ServedTask>;
  private readonly caches: Map<string, MemberCache>;
  /** Answers of bare titles (no profile context), by prepared title: a repeated one costs a lookup. */
  private readonly bareAnswers = new LRUCache<string, PositionPrediction>({ max: BARE_ANSWERS });

  private constructor(
    readonly manifest: Manifest,
    config: KeywordConfig,
    members: OnnxMember[],
    private readonly encoder: SentenceEncoder | null,
    private readonly staticEmbedder: StaticEmbedder | null,
    readonly encoderStatus: EncoderStatus,
    mode: EncoderMode,
  ) {
    this.modelVersion = manifest.version;
    this.prepare = cachedPreparer(createTitlePreparer(config.text));
    this.keywordScore = createKeywordScorer(config.rules);
    const available = new Set<MemberSpec['input']>(['ngrams', 'dense', ...(encoder ? ['encoder' as const] : []), ...(staticEmbedder ? ['static' as const] : [])]);
    this.served = Object.fromEntries(TASKS.map((task) => [task, servedTask(manifest, task, available, mode)])) as Record<Task, ServedTask>;
    this.caches = new Map(members.map((member) => [member.name, new MemberCache(member)]));
  }

  /**
   * Loads and checks `dir/manifest.json` against `config` (the text tables and keyword rules it
   * was trained with, pinned by their digests), creates every ONNX session and, when the manifest
   * has static or encoder members, the static table and the sentence encoder of `encoderDir`
   * (default models/encoder), the encoder unless `encoderMode` is `off`.
   */
  static async load(dir: string, config: KeywordConfig, options: { encoderDir?: string; encoderMode?: EncoderMode } = {}): Promise<EnsembleClassifier> {
    const manifest = loadManifest(dir, config);
    const mode = options.encoderMode ?? 'cascade';
    const encoderDir = options.encoderDir ?? defaultEncoderDir();
    const { encoder, staticEmbedder, status } = await loadSemantic(manifest, encoderDir, mode);
    const specs = manifest.members.filter((spec) => (spec.input !== 'encoder' || encoder) && (spec.input !== 'static' || staticEmbedder));
    const members = await Promise.all(specs.map((spec) => OnnxMember.load(dir, spec)));
    const classifier = new EnsembleClassifier(manifest, config, members, encoder, staticEmbedder, status, mode);
    if (status.state === 'absent' || status.state === 'mismatch') {
      logger.warn({ modelVersion: manifest.version, encoder: status }, `scoring without the sentence encoder: ${status.detail}`);
    }
    return classifier;
  }

  /** Members of the pool that scores every title first, per task (the explanation of a degraded ensemble). */
  servedMembers(task: Task): readonly string[] {
    return this.served[task].pool.members;
  }

  /** Members of the full pool, where the cascade escalates to it for the task (else null). */
  escalationMembers(task: Task): readonly string[] | null {
    return this.served[task].escalate?.pool.members ?? null;
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
    return Object.fromEntries([...this.caches].map(([name, cache]) => [name, cache.stats()]));
  }

  /** Every feature the members read, the static and encoder ones included (the parity test's input too). */
  async featurize(titles: readonly PreparedTitle[], contexts?: readonly (ProfileContext | null)[]) {
    const featurized = featurize(titles, contexts, this.keywordScore);
    if (this.encoder) featurized.batch.encoder = await this.encoder.features(titles);
    if (this.staticEmbedder) featurized.batch.static = this.staticEmbedder.features(titles);
    return featurized;
  }

  /**
   * Predictions for titles in their profile contexts. Each member runs only on the inputs its cache
   * lacks (member-cache.ts), the sentence encoder only on titles the cascade escalates and whose
   * encoder-member output is not cached: for every title, the probabilities `score` gives the pool
   * that decided it.
   */
  async classify(titles: readonly PreparedTitle[], contexts?: readonly (ProfileContext | null)[]): Promise<PositionPrediction[]> {
    // A bare title's answer depends on the prepared title alone (the answers are shared: no caller
    // changes one). Titles in a profile depend on it too, and go through the member caches only.
    const keys = titles.map((t, i) => (contexts?.[i] ? null : rawTitleKey(t.raw, t.organization)));
    const answers = keys.map((key) => (key === null ? undefined : this.bareAnswers.get(key)));
    const missing = answers.flatMap((a, i) => (a ? [] : [i]));
    if (missing.length > 0) {
      const computed = await this.classifyUncached(missing.map((i) => titles[i]!), contexts && missing.map((i) => contexts[i] ?? null));
      missing.forEach((i, j) => {
        const key = keys[i];
        answers[i] = computed[j]!;
        if (key != null) this.bareAnswers.set(key, computed[j]!);
      });
    }
    return answers as PositionPrediction[];
  }

  private async classifyUncached(titles: readonly PreparedTitle[], contexts?: readonly (ProfileContext | null)[]): Promise<PositionPrediction[]> {
    const { batch, keywords } = featurize(titles, contexts, this.keywordScore);
    const first = await this.outputs(TASKS.flatMap((task) => this.served[task].pool.members), batch, titles);
    const decided = Object.fromEntries(
      TASKS.map((task) => [task, poolTask(this.served[task].pool, first, task, batch.size).map((scores) => ({ scores, spec: this.served[task].pool, escalated: false }))]),
    ) as Record<Task, Decided[]>;
    const unsure = (task: Task, r: number) => {
      const escalate = this.served[task].escalate;
      return escalate !== null && Math.max(...decided[task][r]!.scores.pooled) < escalate.below;
    };
    const rows = titles.map((_, r) => r).filter((r) => TASKS.some((task) => unsure(task, r)));
    if (rows.length > 0) {
      const sub = selectRows(batch, rows);
      const subTitles = rows.map((r) => titles[r]!);
      const full = await this.outputs(TASKS.flatMap((task) => this.served[task].escalate?.pool.members ?? []), sub, subTitles);
      for (const task of TASKS) {
        const spec = this.served[task].escalate?.pool;
        if (!spec) continue;
        const scores = poolTask(spec, full, task, sub.size);
        rows.forEach((r, j) => {
          if (unsure(task, r)) decided[task][r] = { scores: scores[j]!, spec, escalated: true, cheap: Math.max(...decided[task][r]!.scores.pooled) };
        });
      }
    }
    return titles.map((_, i) => ({
      seniority: this.decide('seniority', decided.seniority[i]!, keywords[i]!),
      department: this.decide('department', decided.department[i]!, keywords[i]!),
    }));
  }

  /**
   * Member and pooled probabilities for a featurized batch, every member run on every row (what the
   * parity test checks): the fullest pool that can serve, and the cascade's cheap pool beside it.
   */
  async score(batch: FeatureBatch): Promise<Record<Task, TaskScores[]>> {
    const outputs = new Map<string, MemberOutput>();
    for (const [name, cache] of this.caches) outputs.set(name, await cache.member.predict(batch));
    return Object.fromEntries(
      TASKS.map((task) => {
        const { pool, escalate } = this.served[task];
        const full = poolTask(escalate?.pool ?? pool, outputs, task, batch.size);
        const cheap = this.manifest.ensemble[task].cascade;
        if (cheap && cheap.members.every((name) => outputs.has(name))) {
          poolTask(cheap, outputs, task, batch.size).forEach((row, r) => (full[r]!.cascade = row.pooled));
        }
        return [task, full];
      }),
    ) as Record<Task, TaskScores[]>;
  }

  /** The outputs of the named members on every row of `batch`, through their caches. */
  private async outputs(names: readonly string[], batch: FeatureBatch, titles: readonly PreparedTitle[]): Promise<Map<string, MemberOutput>> {
    const semantic: SemanticFeaturesOf = async (input, rows) => this.semanticFeatures(input, rows.map((r) => titles[r]!));
    const unique = [...new Set(names)];
    const outputs = await Promise.all(unique.map((name) => this.caches.get(name)!.predict(batch, titles, semantic)));
    return new Map(unique.map((name, i) => [name, outputs[i]!]));
  }

  private async semanticFeatures(input: SemanticInput, titles: readonly PreparedTitle[]) {
    if (input === 'static') return this.staticEmbedder!.features(titles);
    return this.encoder!.features(titles);
  }

  private decide<T extends Task>(task: T, { scores, spec, escalated, cheap }: Decided, keyword: KeywordResult): TaskPrediction<LabelOf<T>> {
    const classes = CLASSES[task] as unknown as readonly LabelOf<T>[];
    const best = argmax(scores.pooled);
    const confidence = scores.pooled[best]!;
    const threshold = spec.fallbackThreshold;
    const memberText = Object.entries(scores.members)
      .map(([name, p]) => `${name} ${classes[argmax(p)]} ${p[argmax(p)]!.toFixed(2)}`)
      .join(', ');
    const state = this.encoderStatus.state;
    const degraded = state === 'absent' || state === 'mismatch' ? '; without the sentence encoder' : state === 'off' ? '; encoder off' : '';
    const cascade = escalated ? `; encoder consulted, first pool unsure ${cheap!.toFixed(2)} < ${this.served[task].escalate!.below}` : '';
    const nearest = scores.neighbours
      ? // ASCII only: one non-Latin-1 character ("→") made every cached answer's reasons two bytes a character.
        `; nearest: ${scores.neighbours.slice(0, 3).map((n) => `${n.title} (${n.label} ${n.similarity.toFixed(2)})`).join(', ')}`
      : '';
    const extra = { probabilities: scores.pooled, members: scores.members, ...(scores.neighbours ? { neighbours: scores.neighbours } : {}) };
    if (confidence < threshold) {
      const rule = keyword.prediction[task];
      return {
        label: rule.label as LabelOf<T>,
        confidence: rule.confidence,
        source: 'fallback',
        why: `ensemble unsure (${classes[best]} ${confidence.toFixed(2)} < ${threshold}${degraded}${cascade}); keywords: ${rule.why}`,
        ...extra,
      };
    }
    return {
      label: classes[best]!,
      confidence,
      source: 'ensemble',
      why: `ensemble ${confidence.toFixed(2)} (${memberText}${degraded}${cascade})${nearest}`,
      ...extra,
    };
  }
}

/** One task's answer for one title before the fallback: the pool that decided and its scores. */
interface Decided {
  scores: TaskScores;
  spec: PoolSpec;
  escalated: boolean;
  /** The cheap pool's confidence, where the cascade escalated. */
  cheap?: number;
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
      const probs = numbers(output[task], r * c, c);
      members[name] = probs;
      neighbours ??= output.neighbours?.[task][r];
      for (let k = 0; k < c; k++) z[k]! += spec.weights[m]! * Math.log(probs[k]! + EPS);
    });
    rows.push({ members, pooled: softmax(z), ...(neighbours ? { neighbours } : {}) });
  }
  return rows;
}

/**
 * The pools to serve, given the member inputs that loaded: the cascade's cheap pool first where the
 * mode asks for it and it can serve (escalating to the full pool in `cascade` mode, where that can
 * serve too); else the full pool; else the one fitted without any models/encoder member.
 */
function servedTask(manifest: Manifest, task: Task, available: ReadonlySet<MemberSpec['input']>, mode: EncoderMode): ServedTask {
  const full = manifest.ensemble[task];
  const canServe = (pool: PoolSpec) => pool.members.every((name) => available.has(manifest.members.find((m) => m.name === name)!.input));
  if (mode !== 'full' && full.cascade && canServe(full.cascade)) {
    return { pool: full.cascade, escalate: mode === 'cascade' && canServe(full) ? { below: full.cascade.escalateBelow, pool: full } : null };
  }
  if (canServe(full)) return { pool: full, escalate: null };
  if (!full.withoutEncoder) {
    throw new Error(`model ${manifest.version} needs the sentence encoder for ${task} and has no pool without it: run npm run models:encoder`);
  }
  return { pool: full.withoutEncoder, escalate: null };
}

/** The static table and the sentence encoder the manifest's members were trained with, where installed and wanted. */
async function loadSemantic(
  manifest: Manifest,
  dir: string,
  mode: EncoderMode,
): Promise<{ encoder: SentenceEncoder | null; staticEmbedder: StaticEmbedder | null; status: EncoderStatus }> {
  const { encoder: wanted, static: wantedStatic } = manifest;
  const none = { encoder: null, staticEmbedder: null };
  if (!wanted && !wantedStatic) return { ...none, status: { state: 'unused', detail: 'the model has no encoder members' } };
  const info = readEncoderInfo(dir);
  const version = wanted?.version ?? 'the encoder';
  if (!info) return { ...none, status: { state: 'absent', detail: `no sentence encoder in ${dir} (npm run models:encoder installs ${version})` } };
  if (wanted && info.version !== wanted.version) {
    return { ...none, status: { state: 'mismatch', detail: `${dir} holds encoder ${info.version}, the model was trained with ${wanted.version}` } };
  }
  let staticEmbedder: StaticEmbedder | null = null;
  let staticState: EncoderStatus['state'] = 'loaded';
  const parts: string[] = [];
  if (wantedStatic) {
    const table = readStaticInfo(dir);
    if (table?.version === wantedStatic.version) {
      staticEmbedder = await StaticEmbedder.load(dir);
      parts.push(`static table ${table.version}`);
    } else {
      staticState = table ? 'mismatch' : 'absent';
      parts.push(table ? `static table ${table.version} is not the trained ${wantedStatic.version}` : `no static table in ${dir}/static (npm run models:encoder distills ${wantedStatic.version})`);
    }
  }
  if (!wanted) {
    // The static table alone (the shipped model): the encoder itself is never run.
    if (!staticEmbedder) return { ...none, status: { state: staticState, detail: parts.join('; ') } };
    return { encoder: null, staticEmbedder, status: { state: 'unused', detail: `${parts.join('; ')} serves the semantic view; the sentence encoder itself is not run (no encoder members)` } };
  }
  if (mode === 'off') return { encoder: null, staticEmbedder, status: { state: 'off', detail: ['ENCODER_MODE=off: the sentence encoder is not loaded', ...parts].join('; ') } };
  const concepts = readConcepts();
  if (concepts.sha256 !== wanted.conceptsSha256) {
    return { encoder: null, staticEmbedder, status: { state: 'mismatch', detail: ['config/concepts.json changed since training (retrain with npm run train)', ...parts].join('; ') } };
  }
  const encoder = await SentenceEncoder.load(dir, concepts);
  const how = mode === 'cascade' && TASKS.some((task) => manifest.ensemble[task].cascade) ? ', where the first pool is unsure (cascade)' : ', on every title';
  return { encoder, staticEmbedder, status: { state: 'loaded', detail: [`sentence encoder ${info.version}${how}`, ...parts].join('; ') } };
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

/**
 * `length` values of `data` from `start`, as a plain array sized once: every cached answer holds
 * eight of them, and Array.from's growing arrays took about twice the memory (a bare answer 1 KB more).
 */
function numbers(data: Float32Array, start: number, length: number): number[] {
  const out = new Array<number>(length);
  for (let k = 0; k < length; k++) out[k] = data[start + k]!;
  return out;
}

function softmax(z: readonly number[]): number[] {
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}
