import { describe, expect, it } from 'vitest';
import { compileScanner, foldAccents, patternProblem } from '../../src/text/patterns.ts';

const scanner = (patterns: string[], fold = true) =>
  compileScanner(
    patterns.map((pattern) => ({ pattern, payload: pattern })),
    { fold },
  );
const found = (patterns: string[], text: string) => scanner(patterns).scan(text).map((h) => [h.payload, h.text]);

describe('foldAccents', () => {
  it('removes accents and keeps the length', () => {
    for (const [text, folded] of [
      ['geschäftsführer', 'geschaftsfuhrer'],
      ["chef d'équipe", "chef d'equipe"],
      ['plain ascii', 'plain ascii'],
      ['straße', 'straße'],
    ]) {
      expect(foldAccents(text!)).toBe(folded);
      expect(foldAccents(text!)).toHaveLength(text!.length);
    }
  });
});

describe('patternProblem', () => {
  it.each([
    ['', 'is empty'],
    ['*', 'starts or ends with the any-word'],
    ['chief *', 'starts or ends with the any-word'],
    ['le*ter', 'has "*" inside it'],
    ['Leiter', 'is not lowercase'],
    ["chef d'équipe", 'must be letters and digits only'],
  ])('rejects %j', (pattern, message) => {
    expect(patternProblem(pattern)).toContain(message);
  });

  it.each(['leiter', '*leiter', 'vertrieb*', '*vertrieb*', 'chief * officer', 'r & d', 'h / f'])('accepts %j', (pattern) => {
    expect(patternProblem(pattern)).toBeNull();
  });
});

describe('compileScanner', () => {
  it('matches whole words only', () => {
    expect(found(['intern'], 'international intern internal')).toEqual([['intern', 'intern']]);
  });

  it('matches prefixes, suffixes and infixes of compounds', () => {
    expect(found(['*leiter'], 'vertriebsleiter leiterin')).toEqual([['*leiter', 'vertriebsleiter']]);
    expect(found(['vertrieb*'], 'vertriebsmitarbeiter')).toEqual([['vertrieb*', 'vertriebsmitarbeiter']]);
    expect(found(['*kunden*'], 'neukundenakquise kunden')).toEqual([
      ['*kunden*', 'neukundenakquise'],
      ['*kunden*', 'kunden'],
    ]);
  });

  it('matches the any-word between two words', () => {
    expect(found(['chief * officer'], 'chief marketing officer and chief officer')).toEqual([
      ['chief * officer', 'chief marketing officer'],
    ]);
  });

  it('lets the most specific pattern win where patterns overlap', () => {
    expect(found(['director', 'managing director'], 'managing director')).toEqual([['managing director', 'managing director']]);
    expect(found(['senior', 'director'], 'senior director')).toEqual([
      ['senior', 'senior'],
      ['director', 'director'],
    ]);
  });

  it('matches without regard to accents when folding', () => {
    expect(found(['geschäftsführer'], foldAccents('geschaftsfuhrer'))).toEqual([['geschäftsführer', 'geschaftsfuhrer']]);
    expect(scanner(['équipe'], false).test('equipe')).toBe(false);
    expect(scanner(['équipe'], false).test('équipe')).toBe(true);
  });

  it('reports offsets into the scanned text', () => {
    const [hit] = scanner(['head of']).scan('global head of sales');
    expect(hit).toMatchObject({ index: 7, text: 'head of' });
  });
});
