import { describe, expect, it } from 'vitest';
import { createStandardizer } from '../../src/text/standardize.ts';
import { standardizeTitle } from '../helpers/text.ts';

describe('standardizeTitle', () => {
  it.each([
    ['cto', 'chief technology officer'],
    ['ceo & founder', 'chief executive officer & founder'],
    ['cfo / coo', 'chief financial officer / chief operating officer'],
    ['kam dach', 'key account manager dach'],
    ['senior pm', 'senior project manager'],
    ['pmo lead', 'project management office lead'],
    ['bdm emea', 'business development manager emea'],
    ['sdr', 'sales development representative'],
    ['hr manager', 'human resources manager'],
    ['pdg', 'président directeur général'],
    ['daf', 'directeur administratif et financier'],
    ['teamleader it', 'team leader it'],
    ['geschaeftsfuehrer', 'geschäftsführer'],
  ])('%j → %j', (normalized, expected) => {
    expect(standardizeTitle(normalized)).toBe(expected);
  });

  it('keeps "it" and words that merely contain an acronym', () => {
    expect(standardizeTitle('it manager')).toBe('it manager');
    expect(standardizeTitle('ceos forum')).toBe('ceos forum');
    expect(standardizeTitle('kampagnen manager')).toBe('kampagnen manager');
  });

  it('normalizes the keys of the table it is given', () => {
    const standardize = createStandardizer({ standards: { 'Sr. P.M.': 'senior project manager', 'QA': 'Quality Assurance' } });
    expect(standardize('sr pm')).toBe('senior project manager');
    expect(standardize('qa lead')).toBe('quality assurance lead');
  });
});
