/**
 * Classification metrics for evaluation. Pure. Macro averages run over the classes present in the
 * truth or the predictions (as scikit-learn does by default), so absent classes do not dilute them.
 */

export interface ClassMetrics {
  label: string;
  support: number;
  predicted: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface Metrics {
  n: number;
  accuracy: number;
  macroF1: number;
  balancedAccuracy: number;
  perClass: ClassMetrics[];
  /** Class order of the confusion matrix rows (truth) and columns (prediction). */
  labels: string[];
  confusion: number[][];
}

/** `classOrder` fixes the order of labels in the report; labels outside it are appended. */
export function classificationMetrics(truth: readonly string[], predicted: readonly string[], classOrder: readonly string[] = []): Metrics {
  if (truth.length !== predicted.length) {
    throw new Error(`truth has ${truth.length} labels but predictions ${predicted.length}`);
  }
  const present = new Set([...truth, ...predicted]);
  const labels = [...classOrder.filter((c) => present.has(c)), ...[...present].filter((c) => !classOrder.includes(c)).sort()];
  const index = new Map(labels.map((l, i) => [l, i]));
  const confusion = labels.map(() => labels.map(() => 0));
  truth.forEach((t, i) => {
    confusion[index.get(t)!]![index.get(predicted[i]!)!]! += 1;
  });

  const perClass = labels.map((label, i) => {
    const tp = confusion[i]![i]!;
    const support = confusion[i]!.reduce((a, b) => a + b, 0);
    const predictedCount = confusion.reduce((a, row) => a + row[i]!, 0);
    const precision = predictedCount === 0 ? 0 : tp / predictedCount;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, support, predicted: predictedCount, precision, recall, f1 };
  });
  const correct = labels.reduce((a, _, i) => a + confusion[i]![i]!, 0);
  const withSupport = perClass.filter((c) => c.support > 0);
  return {
    n: truth.length,
    accuracy: truth.length === 0 ? 0 : correct / truth.length,
    macroF1: mean(perClass.map((c) => c.f1)),
    balancedAccuracy: mean(withSupport.map((c) => c.recall)),
    perClass,
    labels,
    confusion,
  };
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}
