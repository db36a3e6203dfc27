import { describe, expect, it } from 'vitest';
import { uncertainty } from '../../src/domain/uncertainty.ts';

describe('uncertainty measures', () => {
  it('are 0 for a certain answer and 1 for a uniform one', () => {
    expect(uncertainty([1, 0, 0, 0], 1, 4)).toEqual({ leastConfidence: 0, margin: 0, entropy: 0 });
    expect(uncertainty([0.25, 0.25, 0.25, 0.25], 0.25, 4)).toEqual({ leastConfidence: 0.75, margin: 1, entropy: 1 });
  });

  it('tell apart answers that least confidence ranks alike', () => {
    // Same top probability; the second distribution splits between two classes only.
    const close = uncertainty([0.5, 0.48, 0.02, 0], 0.5, 4);
    const spread = uncertainty([0.5, 0.2, 0.15, 0.15], 0.5, 4);
    expect(close.leastConfidence).toBe(spread.leastConfidence);
    expect(close.margin).toBeGreaterThan(spread.margin);
    expect(close.entropy).toBeLessThan(spread.entropy);
    expect(close.margin).toBeCloseTo(0.98, 4);
  });

  it('spreads the rest evenly where only a confidence is known (keyword rules alone)', () => {
    expect(uncertainty(undefined, 0.7, 4)).toEqual(uncertainty([0.7, 0.1, 0.1, 0.1], 0.7, 4));
  });
});
