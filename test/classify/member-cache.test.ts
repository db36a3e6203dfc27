/**
 * The member cache: every member runs once per distinct input (within a batch and across batches),
 * the context member per distinct context, the sentence encoder only for titles whose encoder-member
 * output is missing, and the answers are those of every member run on every row. The cascade: the
 * encoder only for titles the first pool is unsure of.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EnsembleClassifier } from '../../src/classify/ensemble.ts';
import type { ProfileContext } from '../../src/domain/prediction.ts';
import { loadManifest } from '../../src/classify/manifest.ts';
import { encoderInstalled } from '../helpers/required-services.ts';
import { keywordConfig, prepareTitle } from '../helpers/text.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const models = join(root, 'models');
// A model with a cascade (encoder members): the shipped one has none (static_knn carries the
// semantic view), the reduced one CI trains has.
const cascadeModels = [models, process.env.EXTRA_MODELS_DIR].find(
  (dir): dir is string => !!dir && existsSync(join(dir, 'manifest.json')) && loadManifest(dir, keywordConfig).ensemble.seniority.cascade !== undefined,
);

describe.runIf(existsSync(join(models, 'manifest.json')))('member cache', () => {
  const raw = ['Senior Software Engineer', 'Leiterin Vertrieb', 'senior software engineer', 'Comptable', 'Senior Software Engineer'];

  it('runs each member once per distinct input, and answers as the uncached scorer does', async () => {
    // Every member on every title (the cascade's escalation has a test of its own below).
    const ensemble = await EnsembleClassifier.load(models, keywordConfig, { encoderMode: 'full' });
    const titles = raw.map((t) => prepareTitle(t));
    const cached = await ensemble.classify(titles);
    // Rows 0, 2 and 4 are one title after the text stage (case folded): 3 distinct inputs of 5 for
    // the title members; the context member also reads the title's shape (its capitals), so 4.
    for (const [name, member] of Object.entries(ensemble.memberCacheStats())) {
      expect(member).toEqual({ rows: 5, computed: name === 'gbdt' ? 4 : 3 });
    }

    const { batch, keywords } = await ensemble.featurize(titles);
    const full = await ensemble.score(batch);
    expect(keywords).toHaveLength(5);
    cached.forEach((p, i) => {
      for (const task of ['seniority', 'department'] as const) {
        // The same member outputs, pooled alike: float32 kernels may differ in the last bits by batch shape.
        full[task][i]!.pooled.forEach((q, k) => expect(p[task].probabilities![k]).toBeCloseTo(q, 5));
      }
    });
    expect(cached[4]).toEqual(cached[0]);

    // A second batch of known bare titles is answered whole from the bare-title answers (the same
    // answers); a new title runs each member once.
    const again = await ensemble.classify([...titles, prepareTitle('Einkäufer')]);
    expect(again.slice(0, 5)).toEqual(cached);
    for (const [name, member] of Object.entries(ensemble.memberCacheStats())) {
      expect(member).toEqual({ rows: 6, computed: name === 'gbdt' ? 5 : 4 });
    }
    // In a profile the same titles reach the members again (their context is part of the answer).
    await ensemble.classify(titles, titles.map((_, index): ProfileContext => ({ index, positions: raw.map((position) => ({ position })), titles })));
    for (const member of Object.values(ensemble.memberCacheStats())) expect(member.rows).toBe(11);
    if (ensemble.encoderStatus.state === 'loaded') expect(ensemble.embeddingCacheStats()!.computed).toBe(4);
  });

  it('keys the context member by its features: one title in two profile contexts is scored twice', async () => {
    const ensemble = await EnsembleClassifier.load(models, keywordConfig, { encoderMode: 'full' });
    const profile = (positions: { position: string; startDate: string; status: 'ACTIVE' | 'INACTIVE' }[]) => {
      const titles = positions.map((p) => prepareTitle(p.position));
      return titles.map((_, index): ProfileContext => ({ index, positions, titles }));
    };
    const a = profile([{ position: 'Sales Manager', startDate: '2020-01', status: 'ACTIVE' }]);
    const b = profile([
      { position: 'Sales Manager', startDate: '2015-01', status: 'INACTIVE' },
      { position: 'Head of Sales', startDate: '2019-01', status: 'ACTIVE' },
    ]);
    await ensemble.classify([a[0]!.titles[0]!, ...b[0]!.titles], [a[0]!, ...b]);
    const stats = ensemble.memberCacheStats();
    const dense = Object.entries(stats).filter(([name]) => name === 'gbdt');
    expect(dense).toHaveLength(1);
    expect(dense[0]![1]).toEqual({ rows: 3, computed: 3 });
    for (const [name, member] of Object.entries(stats)) if (name !== 'gbdt') expect(member).toEqual({ rows: 3, computed: 2 });
  });

  it.runIf(process.env.CI)('CI has a model with a cascade to test', () => {
    expect(cascadeModels).toBeDefined();
  });

  it.runIf(encoderInstalled && cascadeModels)('cascade: runs the encoder only for titles the first pool is unsure of, and answers with the pool that decided', async () => {
    const ensemble = await EnsembleClassifier.load(cascadeModels!, keywordConfig);
    expect(ensemble.encoderStatus.state).toBe('loaded');
    const raw = ['Senior Software Engineer', 'Buchhalterin', 'Head of Purchasing', 'Werkstudent', 'Sachbearbeiter', 'Consultant', 'Chargé de mission', 'Mitarbeiter', 'Assistant', 'Geschäftsführer', 'Owner', 'Projektleiter'];
    const titles = raw.map((t) => prepareTitle(t));
    const predictions = await ensemble.classify(titles);
    const embedded = ensemble.embeddingCacheStats()!.computed;
    const ran = ensemble.memberCacheStats();
    const { batch } = await ensemble.featurize(titles);
    const scores = await ensemble.score(batch);
    const escalatedRows = new Set<number>();
    for (const task of ['seniority', 'department'] as const) {
      const spec = ensemble.manifest.ensemble[task];
      predictions.forEach((p, i) => {
        const cheap = scores[task][i]!.cascade!;
        const unsure = Math.max(...cheap) < spec.cascade!.escalateBelow;
        if (unsure) escalatedRows.add(i);
        expect(p[task].why.includes('encoder consulted'), `${raw[i]} ${task}`).toBe(unsure);
        expect(Object.keys(p[task].members!)).toEqual(unsure ? spec.members : spec.cascade!.members);
        const expected = unsure ? scores[task][i]!.pooled : cheap;
        expected.forEach((q, k) => expect(p[task].probabilities![k]).toBeCloseTo(q, 5));
      });
    }
    // The encoder embedded exactly the titles either task escalated; its member ran on those only.
    expect(embedded).toBe(escalatedRows.size);
    const encoderMember = ensemble.manifest.members.find((m) => m.input === 'encoder')!.name;
    expect(ran[encoderMember]).toEqual({ rows: escalatedRows.size, computed: escalatedRows.size });
    expect(escalatedRows.size).toBeLessThan(titles.length);
  });
});
