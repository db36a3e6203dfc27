/**
 * The answer for a scored title, in the one shape every title entry point gives it: `classify
 * --json`, `POST /classify` and the columns of `classify --csv`. Probabilities are keyed by class
 * name, so a reader never needs the class order of the manifest.
 */
import { CLASSES, TASKS, type Task } from '../domain/labels.ts';
import type { PositionPrediction, TaskPrediction } from '../domain/prediction.ts';
import type { ScoredTitle } from './score.ts';

export interface RankedClass {
  label: string;
  probability: number;
}

export interface TaskAnswer {
  label: string;
  confidence: number;
  source: TaskPrediction<string>['source'];
  why: string;
  /**
   * The two most probable classes of the trained ensemble, best first (where the keyword fallback
   * decided, `label` may differ from the first); the label alone where only the keyword rules scored.
   */
  top: RankedClass[];
  /** Each member's probability per class name. */
  members: Record<string, Record<string, number>>;
  neighbours?: { title: string; label: string; similarity: number }[];
}

export interface TitleAnswer {
  title: string;
  organization: string | null;
  standardizedTitle: string;
  language: string;
  seniority: TaskAnswer;
  department: TaskAnswer;
}

export function titleAnswer({ title, prediction }: ScoredTitle): TitleAnswer {
  return {
    title: title.raw,
    organization: title.organization,
    standardizedTitle: title.standardized,
    language: title.language,
    ...(Object.fromEntries(TASKS.map((task) => [task, taskAnswer(task, prediction)])) as Record<Task, TaskAnswer>),
  };
}

function taskAnswer(task: Task, prediction: PositionPrediction): TaskAnswer {
  const p = prediction[task];
  const classes = CLASSES[task];
  return {
    label: p.label,
    confidence: p.confidence,
    source: p.source,
    why: p.why,
    top: p.probabilities ? ranked(classes, p.probabilities).slice(0, 2) : [{ label: p.label, probability: p.confidence }],
    members: Object.fromEntries(
      Object.entries(p.members ?? {}).map(([name, probs]) => [name, Object.fromEntries(classes.map((c, i) => [c, probs[i]!]))]),
    ),
    ...(p.neighbours ? { neighbours: p.neighbours } : {}),
  };
}

/** Classes by probability, best first. */
export function ranked(classes: readonly string[], probabilities: readonly number[]): RankedClass[] {
  return classes.map((label, i) => ({ label, probability: probabilities[i]! })).sort((a, b) => b.probability - a.probability);
}
