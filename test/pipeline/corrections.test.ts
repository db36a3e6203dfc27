/** The corrections in the scoring core: what applies, precedence, undo, and re-application from the model's answer. */
import { describe, expect, it } from 'vitest';
import { KeywordClassifier } from '../../src/classify/keywords.ts';
import { type Correction, foldCorrections, parsePositionId, positionId } from '../../src/domain/correction.ts';
import { correctScored } from '../../src/pipeline/corrections.ts';
import { scoreProfiles, scoreTitles } from '../../src/pipeline/score.ts';
import { keywordConfig } from '../helpers/text.ts';

const classifier = new KeywordClassifier(keywordConfig);
const key = classifier.prepare('Werkstudent Vertrieb', null).normalized;
const row = (id: number, fields: Partial<Correction>): Correction => ({
  id, createdAt: '2026-12-03T10:00:00.000Z', author: 'ana', title: null, titleKey: null, positionId: null,
  seniority: null, department: null, undoes: null, undone: false, ...fields,
});

describe('corrections in the scoring core', () => {
  it('folds rows: the latest per task wins, undone rows and undo rows count for nothing, a position beats its title', async () => {
    const set = foldCorrections([
      row(1, { titleKey: key, seniority: 'Lead' }),
      row(2, { titleKey: key, seniority: 'Senior', department: 'Marketing', undone: true }),
      row(3, { undoes: 2 }),
      row(4, { positionId: 'p#0', department: 'Purchasing' }),
    ]);
    expect(set.version).toBe(4);
    const [scored] = await scoreProfiles([{ profileId: 'p', positions: [{ position: 'Werkstudent Vertrieb' }] }], classifier, '2025-06', set);
    const p = scored!.positions[0]!.prediction;
    expect(p.seniority).toMatchObject({ label: 'Lead', source: 'override', confidence: 1, modelAnswer: { label: 'Junior' } });
    expect(p.department).toMatchObject({ label: 'Purchasing', source: 'override', modelAnswer: { label: 'Sales' } });
    expect(p.seniority.why).toContain('corrected by ana (correction 1');
    // A bare title gets the title's corrections only.
    const [bare] = await scoreTitles([{ title: 'WERKSTUDENT vertrieb' }], classifier, set);
    expect(bare!.prediction.seniority.label).toBe('Lead');
    expect(bare!.prediction.department).toMatchObject({ label: 'Sales', source: 'keywords' });
  });

  it('applies a newer set from the model answer: an undone correction gives the model back, whatever was applied before', async () => {
    const first = foldCorrections([row(1, { titleKey: key, seniority: 'Director' })]);
    const scored = await scoreProfiles([{ profileId: 'q', positions: [{ position: 'Werkstudent Vertrieb' }] }], classifier, '2025-06', first);
    const model = await scoreProfiles([{ profileId: 'q', positions: [{ position: 'Werkstudent Vertrieb' }] }], classifier, '2025-06');
    const undone = foldCorrections([row(1, { titleKey: key, seniority: 'Director', undone: true }), row(2, { undoes: 1 })]);
    expect(correctScored(scored, undone)[0]!.positions[0]!.prediction).toEqual(model[0]!.positions[0]!.prediction);
  });

  it('round-trips position ids, profile ids with # included', () => {
    expect(parsePositionId(positionId('a#b', 3))).toEqual({ profileId: 'a#b', positionIndex: 3 });
    for (const bad of ['nohash', '#1', 'a#', 'a#-1', 'a#1.5']) expect(parsePositionId(bad), bad).toBeNull();
  });
});
