/**
 * Evaluation of a classifier on annotated CVs (DESIGN.md section 5): metrics on ACTIVE positions
 * and on all positions, per task. Pure: the caller reads the file and picks the classifier.
 */
import { CLASSES, TASKS, type Task } from '../domain/labels.ts';
import { NO_CORRECTIONS } from '../domain/correction.ts';
import type { TitleClassifier } from '../domain/prediction.ts';
import type { AnnotatedPosition } from '../domain/profile.ts';
import { rawProfileId } from '../domain/parse.ts';
import { scoreProfilesInChunks, scoreTitles } from '../pipeline/score.ts';
import { type Metrics, classificationMetrics } from './metrics.ts';

export interface SubsetReport {
  n: number;
  seniority: Metrics;
  department: Metrics;
}

/**
 * `profile`: each position scored inside its CV (what `run` does); `title-only`: each position
 * scored as a bare title with its organization and nothing else (what `classify` does).
 */
export type EvaluationMode = 'profile' | 'title-only';

export interface EvaluationReport {
  modelVersion: string;
  mode: EvaluationMode;
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
 * Scores every annotated position, in its profile or as a bare title (`mode`), and compares;
 * `onProgress` hears how many CVs are scored so far.
 */
export async function evaluate(
  cvs: readonly AnnotatedPosition[][],
  classifier: TitleClassifier,
  asOf: string,
  onProgress?: (cvsScored: number) => void,
  mode: EvaluationMode = 'profile',
): Promise<EvaluationReport> {
  const predicted = mode === 'profile' ? await scoreInProfiles(cvs, classifier, asOf, onProgress) : await scoreBareTitles(cvs, classifier, onProgress);
  const pairs: Pair[] = cvs.flatMap((positions, i) =>
    positions.map((truth, j) => ({
      active: truth.status === 'ACTIVE',
      truth: { seniority: truth.seniority, department: truth.department },
      predicted: predicted[i]![j]!,
    })),
  );
  return {
    modelVersion: classifier.modelVersion,
    mode,
    active: subset(pairs.filter((p) => p.active)),
    all: subset(pairs),
  };
}

type Labels = Record<Task, string>;

async function scoreInProfiles(cvs: readonly AnnotatedPosition[][], classifier: TitleClassifier, asOf: string, onProgress?: (n: number) => void): Promise<Labels[][]> {
  const scored = await scoreProfilesInChunks(
    cvs.map((positions) => ({ profileId: rawProfileId(positions), positions })),
    classifier,
    asOf,
    SCORE_CHUNK,
    // The model's own answers: corrections are not part of what evaluation measures.
    NO_CORRECTIONS,
    onProgress,
  );
  return scored.map((profile) => profile.positions.map((s) => ({ seniority: s.prediction.seniority.label, department: s.prediction.department.label })));
}

async function scoreBareTitles(cvs: readonly AnnotatedPosition[][], classifier: TitleClassifier, onProgress?: (n: number) => void): Promise<Labels[][]> {
  const out: Labels[][] = [];
  for (let start = 0; start < cvs.length; start += SCORE_CHUNK) {
    const chunk = cvs.slice(start, start + SCORE_CHUNK);
    const scored = await scoreTitles(
      chunk.flat().map((p) => ({ title: p.position, organization: p.organization ?? null })),
      classifier,
    );
    let next = 0;
    for (const positions of chunk) {
      out.push(positions.map(() => {
        const { prediction } = scored[next++]!;
        return { seniority: prediction.seniority.label, department: prediction.department.label };
      }));
    }
    onProgress?.(out.length);
  }
  return out;
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
  return { modelVersion: report.modelVersion, mode: report.mode, active: compact(report.active), all: compact(report.all) };
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
