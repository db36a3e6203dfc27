/**
 * Evaluation of a classifier on annotated CVs (DESIGN.md section 5): metrics on ACTIVE positions
 * and on all positions, per task. Pure: the caller reads the file and picks the classifier.
 */
import { CLASSES, TASKS, type Task } from '../domain/labels.ts';
import type { TitleClassifier } from '../domain/prediction.ts';
import type { AnnotatedPosition } from '../domain/profile.ts';
import { rawProfileId } from '../domain/parse.ts';
import { scoreProfilesInChunks } from '../pipeline/score.ts';
import { type Metrics, classificationMetrics } from './metrics.ts';

export interface SubsetReport {
  n: number;
  seniority: Metrics;
  department: Metrics;
}

export interface EvaluationReport {
  modelVersion: string;
  active: SubsetReport;
  all: SubsetReport;
}

interface Pair {
  active: boolean;
  truth: Record<Task, string>;
  predicted: Record<Task, string>;
}

/** CVs per classifier call: progress every few seconds with the sentence encoder. */
const SCORE_CHUNK = 32;

/**
 * Scores every annotated profile (with its other positions as context) and compares;
 * `onProgress` hears how many CVs are scored so far.
 */
export async function evaluate(
  cvs: readonly AnnotatedPosition[][],
  classifier: TitleClassifier,
  asOf: string,
  onProgress?: (cvsScored: number) => void,
): Promise<EvaluationReport> {
  const scored = await scoreProfilesInChunks(
    cvs.map((positions) => ({ profileId: rawProfileId(positions), positions })),
    classifier,
    asOf,
    SCORE_CHUNK,
    onProgress,
  );
  const pairs: Pair[] = scored.flatMap((profile, i) =>
    profile.positions.map((s) => {
      const truth = cvs[i]![s.index]!;
      return {
        active: truth.status === 'ACTIVE',
        truth: { seniority: truth.seniority, department: truth.department },
        predicted: { seniority: s.prediction.seniority.label, department: s.prediction.department.label },
      };
    }),
  );
  return {
    modelVersion: classifier.modelVersion,
    active: subset(pairs.filter((p) => p.active)),
    all: subset(pairs),
  };
}

function subset(pairs: readonly Pair[]): SubsetReport {
  const metricsFor = (task: Task) =>
    classificationMetrics(
      pairs.map((p) => p.truth[task]),
      pairs.map((p) => p.predicted[task]),
      CLASSES[task],
    );
  return { n: pairs.length, seniority: metricsFor('seniority'), department: metricsFor('department') };
}

/** The compact JSON of DESIGN.md section 5 (fractions in 0..1). */
export function toSummaryJson(report: EvaluationReport) {
  const compact = (s: SubsetReport) => ({
    n: s.n,
    ...Object.fromEntries(
      TASKS.map((task) => [
        task,
        { accuracy: round(s[task].accuracy), macroF1: round(s[task].macroF1), balancedAccuracy: round(s[task].balancedAccuracy) },
      ]),
    ),
  });
  return { modelVersion: report.modelVersion, active: compact(report.active), all: compact(report.all) };
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
