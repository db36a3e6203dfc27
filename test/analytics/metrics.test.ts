import { describe, expect, it } from 'vitest';
import { classificationMetrics } from '../../src/evaluation/metrics.ts';

describe('classification metrics', () => {
  // truth:     A A A B B C
  // predicted: A A B B C C
  const truth = ['A', 'A', 'A', 'B', 'B', 'C'];
  const predicted = ['A', 'A', 'B', 'B', 'C', 'C'];
  const m = classificationMetrics(truth, predicted, ['C', 'B', 'A']);

  it('computes accuracy', () => expect(m.accuracy).toBeCloseTo(4 / 6, 12));

  it('orders labels by the given class order and fills the confusion matrix', () => {
    expect(m.labels).toEqual(['C', 'B', 'A']);
    expect(m.confusion).toEqual([
      [1, 0, 0],
      [1, 1, 0],
      [0, 1, 2],
    ]);
  });

  it('computes per-class precision, recall and F1', () => {
    const a = m.perClass.find((c) => c.label === 'A')!;
    expect([a.precision, a.recall]).toEqual([1, 2 / 3]);
    expect(a.f1).toBeCloseTo(0.8, 12);
    const c = m.perClass.find((x) => x.label === 'C')!;
    expect([c.precision, c.recall, c.support, c.predicted]).toEqual([0.5, 1, 1, 2]);
  });

  it('macro-averages F1 and recall over present classes', () => {
    // F1: A 0.8, B 0.5, C 2/3
    expect(m.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
    expect(m.balancedAccuracy).toBeCloseTo((2 / 3 + 1 / 2 + 1) / 3, 12);
  });

  it('ignores classes absent from truth and predictions', () => {
    const x = classificationMetrics(['A', 'B'], ['A', 'B'], ['A', 'B', 'Z']);
    expect(x.labels).toEqual(['A', 'B']);
    expect(x.macroF1).toBe(1);
  });

  it('counts a predicted-only class in macro-F1 but not in balanced accuracy', () => {
    const x = classificationMetrics(['A', 'A'], ['A', 'Z']);
    expect(x.macroF1).toBeCloseTo((2 / 3 + 0) / 2, 12);
    expect(x.balancedAccuracy).toBe(0.5);
  });

  it('refuses truth and predictions of different lengths', () => {
    expect(() => classificationMetrics(['A'], [])).toThrow(/1 labels but predictions 0/);
  });
});
