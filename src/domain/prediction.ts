/** What the scoring core produces for a position and a profile. */
import type { Department, Language, Seniority, Task } from './labels.ts';
import type { CareerFeatures } from './career.ts';
import type { Position } from './profile.ts';

/**
 * Which part of the scorer decided a label. `keywords` = the keyword model running on its own;
 * `override` = an analyst's correction (src/domain/correction.ts).
 */
export type PredictionSource = 'ensemble' | 'fallback' | 'keywords' | 'override';

export interface TaskPrediction<L extends string> {
  label: L;
  /** Confidence in 0..1 for `label`. */
  confidence: number;
  source: PredictionSource;
  /** Human-readable reason, e.g. the keyword rule that matched. */
  why: string;
  /** The trained ensemble's pooled probability per class (class-list order), where it scored. */
  probabilities?: number[];
  /** Per-member class probabilities (member name → probability per class, in class-list order). */
  members?: Record<string, number[]>;
  /** The labeled training titles nearest in embedding space, best first (encoder_knn member). */
  neighbours?: { title: string; label: string; similarity: number }[];
  /** Where a correction overrode the model: what the model said (kept so an undo restores it). */
  modelAnswer?: ModelAnswer;
}

export interface ModelAnswer {
  label: string;
  confidence: number;
  source: PredictionSource;
  why: string;
}

export interface PositionPrediction {
  seniority: TaskPrediction<Seniority>;
  department: TaskPrediction<Department>;
}

/** A title prepared for classification by the text stage. */
export interface PreparedTitle {
  raw: string;
  normalized: string;
  standardized: string;
  language: Language;
  organization: string | null;
}

/** A position's place in its profile: what context-aware members read besides the title. */
export interface ProfileContext {
  /** Index of this position in `positions`. */
  index: number;
  positions: readonly Position[];
  /** The prepared titles of all `positions`, in the same order. */
  titles: readonly PreparedTitle[];
}

/**
 * A classifier of prepared titles; batched so model members can run one inference per batch
 * (asynchronous, because ONNX Runtime's inference is). `contexts[i]`, when given, places
 * `titles[i]` in its profile (null or absent: a bare title).
 */
export interface TitleClassifier {
  readonly modelVersion: string;
  /** The text stage of the tables this classifier was built with: a raw title as its classify reads it. */
  prepare(raw: string, organization?: string | null): PreparedTitle;
  classify(titles: readonly PreparedTitle[], contexts?: readonly (ProfileContext | null)[]): Promise<PositionPrediction[]>;
}

export interface ScoredPosition {
  index: number;
  position: Position;
  title: PreparedTitle;
  prediction: PositionPrediction;
}

export interface ScoredProfile {
  profileId: string;
  modelVersion: string;
  positions: ScoredPosition[];
  career: CareerFeatures;
  /** The month (YYYY-MM) the career features are computed as of: stored, so a correction recomputes them alike. */
  asOf: string;
}

/** The keyword rules' answer for one title: the prediction and each class's rule score (a feature of the trained layer). */
export interface KeywordResult {
  prediction: PositionPrediction;
  scores: Record<Task, number[]>;
}
