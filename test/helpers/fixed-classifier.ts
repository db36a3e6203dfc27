/**
 * A classifier with a fixed answer per title, for tests of storage and statistics: they check
 * what is stored, so the labels must be known in advance rather than come from a model.
 */
import type { Department, Seniority } from '../../src/domain/labels.ts';
import type { PositionPrediction, PreparedTitle, TitleClassifier } from '../../src/domain/prediction.ts';
import { prepareTitle } from './text.ts';

export function fixedClassifier(
  modelVersion: string,
  answers: Record<string, [Seniority, Department]>,
  fallback: [Seniority, Department] = ['Professional', 'Other'],
): TitleClassifier {
  return {
    modelVersion,
    prepare: prepareTitle,
    classify: async (titles: readonly PreparedTitle[]): Promise<PositionPrediction[]> =>
      titles.map((t) => {
        const [seniority, department] = answers[t.raw] ?? fallback;
        const known = t.raw in answers;
        return {
          seniority: { label: seniority, confidence: known ? 0.95 : 0.35, source: known ? 'ensemble' : 'fallback', why: 'fixed' },
          department: { label: department, confidence: known ? 0.85 : 0.25, source: known ? 'ensemble' : 'fallback', why: 'fixed' },
        };
      }),
  };
}
