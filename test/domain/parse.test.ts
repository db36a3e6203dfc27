import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, contentHash, parseProfileText, parseProfileValue, rawProfileId } from '../../src/domain/parse.ts';
import { MAX_POSITIONS, MAX_TITLE_LENGTH } from '../../src/domain/profile.ts';

const position = { position: 'Senior Software Engineer', organization: 'ACME GmbH', startDate: '2021-04', endDate: null, status: 'ACTIVE' };
const message = (positions: unknown[], profileId: unknown = 'p-1') => JSON.stringify({ profileId, positions });

function rejection(text: string): string {
  const r = parseProfileText(text);
  if (r.ok) throw new Error(`expected a rejection of ${text.slice(0, 80)}`);
  return r.reason;
}

describe('parsing a profile message', () => {
  it('accepts a valid message and keeps every field', () => {
    const r = parseProfileText(message([position]));
    expect(r).toEqual({ ok: true, value: { profileId: 'p-1', positions: [position] } });
  });

  it('rejects invalid JSON with the parser message', () => {
    expect(rejection('{"profileId": "p-1", "positions": [')).toMatch(/^invalid JSON: /);
  });

  it('rejects a message without positions', () => {
    expect(rejection(message([]))).toBe('positions: has no positions');
    expect(rejection(JSON.stringify({ profileId: 'p-1' }))).toMatch(/^positions: /);
  });

  it('names the position and field of a missing title', () => {
    expect(rejection(message([position, { organization: 'X' }]))).toMatch(/^positions\[1\]\.position: /);
  });

  it('rejects an empty or blank title', () => {
    expect(rejection(message([{ position: '   ' }]))).toBe('positions[0].position: is empty');
  });

  it('rejects titles over the length limit', () => {
    const long = 'a'.repeat(MAX_TITLE_LENGTH + 1);
    expect(rejection(message([{ position: long }]))).toBe(`positions[0].position: is longer than ${MAX_TITLE_LENGTH} characters`);
  });

  it('rejects more positions than the bound', () => {
    const many = Array.from({ length: MAX_POSITIONS + 1 }, () => ({ position: 'Engineer' }));
    expect(rejection(message(many))).toBe(`positions: has more than ${MAX_POSITIONS} positions`);
  });

  it('rejects an absurdly large message before parsing it', () => {
    const huge = message([{ position: 'x', organization: 'o'.repeat(MAX_MESSAGE_BYTES) }]);
    expect(rejection(huge)).toMatch(/^message is \d+ bytes, over the limit of 1000000$/);
  });

  it('rejects wrong types with the field and the expected type', () => {
    expect(rejection(message([{ position: 42 }]))).toMatch(/^positions\[0\]\.position: .*expected string/);
    expect(rejection(message([position], 17))).toMatch(/^profileId: .*expected string/);
    expect(rejection('"just a string"')).toMatch(/^\(root\): expected a profile object/);
    expect(rejection('null')).toMatch(/got null$/);
  });

  it('rejects a malformed date naming the field', () => {
    expect(rejection(message([{ ...position, startDate: '2021-13' }]))).toBe('positions[0].startDate: is not YYYY-MM (or YYYY)');
    expect(rejection(message([{ ...position, endDate: '04/2021' }]))).toBe('positions[0].endDate: is not YYYY-MM (or YYYY)');
  });

  it('accepts a bare year, as real CVs carry', () => {
    expect(parseProfileText(message([{ ...position, startDate: '2015', endDate: '2019' }])).ok).toBe(true);
  });

  it('rejects an unknown status', () => {
    expect(rejection(message([{ ...position, status: 'CURRENT' }]))).toMatch(/^positions\[0\]\.status: /);
  });

  it('rejects control characters in titles and ids', () => {
    expect(rejection(message([{ position: 'Engineer\u0000' }]))).toBe('positions[0].position: contains control characters');
    expect(rejection(message([position], 'p\u001b[31m'))).toBe('profileId: contains control characters');
  });

  it('keeps injection strings and odd Unicode verbatim (they are data, not code)', () => {
    const titles = [
      "'; DROP TABLE positions; --",
      '<script>alert(1)</script>',
      'Geschäftsführer\u200b (m/w/d) 👩‍💼',
      'مدير المبيعات',
      'Directeur\u0301 commercial',
    ];
    const r = parseProfileText(message(titles.map((t) => ({ position: t }))));
    expect(r.ok && r.value.positions.map((p) => p.position)).toEqual(titles);
  });
});

describe('raw profiles', () => {
  it('derive a stable id from content, whatever the key order or null-vs-absent spelling', () => {
    const a = parseProfileValue([{ position: 'CFO', organization: 'X', startDate: '2019-07', endDate: null }]);
    const b = parseProfileValue([{ startDate: '2019-07', organization: 'X', position: 'CFO' }]);
    expect(a.ok && b.ok).toBe(true);
    if (a.ok && b.ok) expect(a.value.profileId).toBe(b.value.profileId);
    if (a.ok) expect(a.value.profileId).toMatch(/^raw-[0-9a-f]{20}$/);
  });

  it('differ in id when the content differs', () => {
    expect(rawProfileId([{ position: 'CFO' }])).not.toBe(rawProfileId([{ position: 'CEO' }]));
    expect(contentHash([{ position: 'CFO', status: 'ACTIVE' }])).not.toBe(contentHash([{ position: 'CFO', status: 'INACTIVE' }]));
  });

  it('name the position of an error with the positions prefix', () => {
    const r = parseProfileValue([{ position: 'CFO' }, { position: '' }]);
    expect(r).toEqual({ ok: false, reason: 'positions[1].position: is empty' });
  });
});
