import { describe, expect, it } from 'vitest';
import { type FetchedMessage, planJobs } from '../../src/ingest/kafka/plan-jobs.ts';

const msg = (offset: number | string, value: string | null, key: string | null = `k${offset}`): FetchedMessage => ({
  offset: String(offset),
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
});
const profile = (id: string) => JSON.stringify({ profileId: id, positions: [{ position: 'CTO' }] });

describe('planning jobs from a fetched Kafka batch', () => {
  it('cuts jobs at multiples of the job size in offset space and names them by topic, partition and offsets', () => {
    const messages = [5, 6, 7, 8, 9, 10, 11].map((o) => msg(o, profile(`p${o}`)));
    const plan = planJobs('cv-profiles', 2, messages, 4);
    expect(plan.jobs.map((j) => j.id)).toEqual(['cv-cv-profiles-2-5-7', 'cv-cv-profiles-2-8-11']);
    expect(plan.jobs.map((j) => j.data.profiles.map((p) => p.profileId))).toEqual([['p5', 'p6', 'p7'], ['p8', 'p9', 'p10', 'p11']]);
    expect(plan.jobs[0]!.data).toMatchObject({ source: 'kafka:cv-profiles', topic: 'cv-profiles', partition: 2, firstOffset: '5', lastOffset: '7' });
  });

  it('gives a re-delivered range the same job ids even when the fetch batches are cut differently', () => {
    const all = Array.from({ length: 12 }, (_, o) => msg(o, profile(`p${o}`)));
    const once = planJobs('t', 0, all, 4).jobs.map((j) => j.id);
    const again = [...planJobs('t', 0, all.slice(0, 8), 4).jobs, ...planJobs('t', 0, all.slice(8), 4).jobs].map((j) => j.id);
    expect(again).toEqual(once);
  });

  it('never puts a colon in a job id (BullMQ rejects it) and handles 64-bit offsets', () => {
    const plan = planJobs('a.b_c-d', 0, [msg('9007199254740993', profile('x'))], 1000);
    expect(plan.jobs[0]!.id).toBe('cv-a.b_c-d-0-9007199254740993-9007199254740993');
    expect(plan.jobs[0]!.id).not.toContain(':');
  });

  it('keeps each invalid message with its reason and address, in the job of its offset range', () => {
    const messages = [msg(0, profile('ok')), msg(1, '{nope'), msg(2, JSON.stringify({ profileId: 'e', positions: [] })), msg(3, null, null)];
    const plan = planJobs('t', 3, messages, 10);
    expect(plan.jobs).toHaveLength(1);
    expect(plan.jobs[0]!.data.profiles.map((p) => p.profileId)).toEqual(['ok']);
    expect(plan.jobs[0]!.data.deadLetters).toEqual([
      { source: 'kafka:t', sourceRef: 'partition 3 offset 1', messageKey: 'k1', reason: expect.stringMatching(/^invalid JSON/), payload: '{nope' },
      { source: 'kafka:t', sourceRef: 'partition 3 offset 2', messageKey: 'k2', reason: 'positions: has no positions', payload: JSON.stringify({ profileId: 'e', positions: [] }) },
      { source: 'kafka:t', sourceRef: 'partition 3 offset 3', messageKey: null, reason: 'message has no value (tombstone)', payload: '' },
    ]);
    expect(plan.rejected.map((r) => [r.message.offset, r.reason.slice(0, 12)])).toEqual([
      ['1', 'invalid JSON'],
      ['2', 'positions: h'],
      ['3', 'message has '],
    ]);
  });

  it('makes a job of a range holding only rejects, so they still reach the dead-letter table', () => {
    const plan = planJobs('t', 0, [msg(0, 'x'), msg(1, 'y')], 10);
    expect(plan.jobs).toHaveLength(1);
    expect(plan.jobs[0]!.data.profiles).toEqual([]);
    expect(plan.jobs[0]!.data.deadLetters).toHaveLength(2);
  });
});
