/**
 * How unsure an answer is, by the three measures the review queue ranks with (active learning):
 * least confidence (1 − the top probability), margin (1 − the gap between the two best classes) and
 * entropy (normalized by its maximum, ln K). All lie in 0..1, 1 the most unsure. They read the
 * ensemble's pooled distribution where it scored (also when the keyword fallback decided: the model's
 * doubt is what a review resolves); an answer without one (keyword rules alone) counts as its
 * confidence on its label and the rest spread evenly.
 */
export interface Uncertainty {
  leastConfidence: number;
  margin: number;
  entropy: number;
}

export const UNCERTAINTY_MEASURES = ['leastConfidence', 'margin', 'entropy'] as const satisfies readonly (keyof Uncertainty)[];

export function uncertainty(probabilities: readonly number[] | undefined, confidence: number, classes: number): Uncertainty {
  const p = probabilities ?? spread(confidence, classes);
  let first = 0;
  let second = 0;
  let entropy = 0;
  for (const v of p) {
    if (v > first) [first, second] = [v, first];
    else if (v > second) second = v;
    if (v > 0) entropy -= v * Math.log(v);
  }
  return {
    leastConfidence: round(1 - first),
    margin: round(1 - (first - second)),
    entropy: round(p.length > 1 ? entropy / Math.log(p.length) : 0),
  };
}

function spread(confidence: number, classes: number): number[] {
  const rest = classes > 1 ? (1 - confidence) / (classes - 1) : 0;
  return [confidence, ...Array.from({ length: classes - 1 }, () => rest)];
}

/** Four decimals: stored in every prediction's explanation, so kept short. */
function round(v: number): number {
  return Math.min(1, Math.max(0, Math.round(v * 1e4) / 1e4));
}
