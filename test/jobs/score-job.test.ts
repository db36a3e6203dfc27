import { describe, expect, it } from 'vitest';
import { checkScoreJobData } from '../../src/domain/score-job.ts';

const job = {
  source: 'kafka:cv-profiles',
  topic: 'cv-profiles',
  partition: 0,
  firstOffset: '10',
  lastOffset: '11',
  profiles: [{ profileId: 'p1', positions: [{ position: 'CEO' }] }],
  deadLetters: [{ source: 'kafka:cv-profiles', sourceRef: '0:11', messageKey: null, reason: 'invalid JSON', payload: '{' }],
};

describe('score job data read back from Redis', () => {
  it('accepts what the consumer enqueues', () => {
    expect(checkScoreJobData(job)).toEqual({ ok: true, data: job });
  });

  it.each([
    ['a profile without positions', { ...job, profiles: [{ profileId: 'p1', positions: [] }] }, /profiles\[0\]\.positions/],
    ['an offset that is not a number', { ...job, lastOffset: 'x' }, /lastOffset: is not a decimal offset/],
    ['no dead letter list', { ...job, deadLetters: undefined }, /deadLetters/],
    ['not an object', 'cv-profiles', /invalid job data/],
  ])('names what is wrong with %s (the worker fails such a job for good)', (_what, data, reason) => {
    const checked = checkScoreJobData(data);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.reason).toMatch(reason);
  });
});
