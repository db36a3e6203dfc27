import { describe, expect, it } from 'vitest';
import { prepareTitle } from '../helpers/text.ts';

describe('prepareTitle', () => {
  it('chains normalization, standardization and language detection', () => {
    expect(prepareTitle('Stv. GF bei ACME GmbH', 'ACME GmbH')).toEqual({
      raw: 'Stv. GF bei ACME GmbH',
      normalized: 'stellvertretender geschäftsführer',
      standardized: 'stellvertretender geschäftsführer',
      language: 'de',
      organization: 'ACME GmbH',
    });
  });

  it('standardizes after normalizing', () => {
    const prepared = prepareTitle('Sr. PM (m/w/d)');
    expect(prepared.normalized).toBe('senior pm');
    expect(prepared.standardized).toBe('senior project manager');
  });

  it('detects the language on the normalized title, before acronyms become English words', () => {
    expect(prepareTitle('CTO & Gesellschafter').language).toBe('de');
  });

  it('keeps the raw title verbatim, odd characters included', () => {
    const raw = '  <b>Head\u200b of\u202e Sales</b> 🚀 ';
    const prepared = prepareTitle(raw);
    expect(prepared.raw).toBe(raw);
    expect(prepared.normalized).toBe('b head of sales / b');
  });

  it('records a missing organization as null', () => {
    expect(prepareTitle('Engineer').organization).toBeNull();
    expect(prepareTitle('Engineer', undefined).organization).toBeNull();
    expect(prepareTitle('Engineer', null).organization).toBeNull();
  });
});
