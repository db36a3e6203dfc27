import { describe, expect, it } from 'vitest';
import { clusterTitles } from '../../src/text/title-clusters.ts';

describe('title clusters (the review queue’s diversity)', () => {
  const titles = ['senior java developer', 'sales manager', 'sr java developer', 'java developer senior', 'marketing manager', 'ceo'];

  it('proposes the best-ranked title of each cluster and lists the similar ones beside it, in rank order', () => {
    expect(clusterTitles(titles, (t) => t, 10)).toEqual([
      { leader: 'senior java developer', members: ['sr java developer', 'java developer senior'] },
      { leader: 'sales manager', members: [] },
      { leader: 'marketing manager', members: [] },
      { leader: 'ceo', members: [] },
    ]);
  });

  it('stops opening clusters at the limit but still files later titles under existing ones', () => {
    expect(clusterTitles(titles, (t) => t, 1)).toEqual([{ leader: 'senior java developer', members: ['sr java developer', 'java developer senior'] }]);
  });
});
