/**
 * The trained ensemble: ONNX members combined by the pool of the manifest, with the keyword rules
 * as fallback where the pool is unsure. Every prediction records its source and each member's
 * probabilities.
 *
 * Pool (fitted in training/cvtrain/pool.py): z_c = sum_m w_m * log(p_mc + 1e-6) + b_c, p = softmax(z).
 */
import { CLASSES, TASKS, type LabelOf, type Task } from '../domain/labels.ts';
import type { PositionPrediction, PreparedTitle, ProfileContext, TaskPrediction, TitleClassifier } from '../domain/prediction.ts';
import { DENSE_FEATURES, denseFeatures, titleNgrams } from '../features/title-features.ts';
import { type KeywordResult, keywordScores } from './keywords.ts';
import { type Manifest, type PoolSpec, loadManifest } from './manifest.ts';
import { type FeatureBatch, type MemberOutput, OnnxMember } from './onnx-member.ts';

const EPS = 1e-6;

/** Probabilities of one title for one task: per member and pooled. */
export interface TaskScores {
  members: Record<string, number[]>;
  pooled: number[];
}

export class EnsembleClassifier implements TitleClassifier {
  readonly modelVersion: string;

  private constructor(
    readonly manifest: Manifest,
    private readonly members: OnnxMember[],
  ) {
    this.modelVersion = manifest.version;
  }

  /** Loads and checks `dir/manifest.json` and creates every ONNX session (once per process). */
  static async load(dir: string): Promise<EnsembleClassifier> {
    const manifest = loadManifest(dir);
    const members = await Promise.all(manifest.members.map((spec) => OnnxMember.load(dir, spec)));
    return new EnsembleClassifier(manifest, members);
  }

  async classify(titles: readonly PreparedTitle[], contexts?: readonly (ProfileContext | null)[]): Promise<PositionPrediction[]> {
    if (titles.length === 0) return [];
    const { batch, keywords } = featurize(titles, contexts);
    const scores = await this.score(batch);
    return titles.map((_, i) => ({
      seniority: this.decide('seniority', scores.seniority[i]!, keywords[i]!),
      department: this.decide('department', scores.department[i]!, keywords[i]!),
    }));
  }

  /** Member and pooled probabilities for a featurized batch (also what the parity test checks). */
  async score(batch: FeatureBatch): Promise<Record<Task, TaskScores[]>> {
    const outputs = await Promise.all(this.members.map((m) => m.predict(batch)));
    const byName = new Map<string, MemberOutput>(this.members.map((m, i) => [m.name, outputs[i]!]));
    return Object.fromEntries(
      TASKS.map((task) => [task, poolTask(this.manifest.ensemble[task], byName, task, batch.size)]),
    ) as Record<Task, TaskScores[]>;
  }

  private decide<T extends Task>(task: T, scores: TaskScores, keyword: KeywordResult): TaskPrediction<LabelOf<T>> {
    const classes = CLASSES[task] as unknown as readonly LabelOf<T>[];
    const best = argmax(scores.pooled);
    const confidence = scores.pooled[best]!;
    const threshold = this.manifest.ensemble[task].fallbackThreshold;
    const memberText = Object.entries(scores.members)
      .map(([name, p]) => `${name} ${classes[argmax(p)]} ${p[argmax(p)]!.toFixed(2)}`)
      .join(', ');
    if (confidence < threshold) {
      const rule = keyword.prediction[task];
      return {
        label: rule.label as LabelOf<T>,
        confidence: rule.confidence,
        source: 'fallback',
        why: `ensemble unsure (${classes[best]} ${confidence.toFixed(2)} < ${threshold}); keywords: ${rule.why}`,
        members: scores.members,
      };
    }
    return {
      label: classes[best]!,
      confidence,
      source: 'ensemble',
      why: `ensemble ${confidence.toFixed(2)} (${memberText})`,
      members: scores.members,
    };
  }
}

function poolTask(spec: PoolSpec, outputs: Map<string, MemberOutput>, task: Task, size: number): TaskScores[] {
  const c = CLASSES[task].length;
  const rows: TaskScores[] = [];
  for (let r = 0; r < size; r++) {
    const members: Record<string, number[]> = {};
    const z = spec.bias.slice();
    spec.members.forEach((name, m) => {
      const probs = Array.from(outputs.get(name)![task].subarray(r * c, (r + 1) * c));
      members[name] = probs;
      for (let k = 0; k < c; k++) z[k]! += spec.weights[m]! * Math.log(probs[k]! + EPS);
    });
    rows.push({ members, pooled: softmax(z) });
  }
  return rows;
}

/**
 * Features of a batch: keyword results of every title's whole profile (computed once per profile),
 * n-grams and the dense vector.
 */
export function featurize(
  titles: readonly PreparedTitle[],
  contexts?: readonly (ProfileContext | null)[],
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
