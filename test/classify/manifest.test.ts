import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EnsembleClassifier } from '../../src/classify/ensemble.ts';
import { loadClassifier } from '../../src/classify/load-classifier.ts';
import { keywordConfig, prepareTitle } from '../helpers/text.ts';

const shipped = fileURLToPath(new URL('../../models', import.meta.url));

/** A copy of the shipped models with the manifest edited by `edit`. */
function tamperedCopy(edit: (manifest: Record<string, any>, dir: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'cv-models-'));
  cpSync(shipped, dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  edit(manifest, dir);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

describe('loading the shipped ensemble', () => {
  it('scores a batch with a source and per-member probabilities for each task', async () => {
    const ensemble = await EnsembleClassifier.load(shipped, keywordConfig);
    const [p] = await ensemble.classify([prepareTitle('Senior Software Engineer')]);
    for (const task of ['seniority', 'department'] as const) {
      expect(['ensemble', 'fallback']).toContain(p![task].source);
      for (const probs of Object.values(p![task].members ?? {})) {
        expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      }
      // With models/encoder installed, the whole pool (the cascade's cheap pool first, the full pool
      // where it escalates, for a model with encoder members); without it, the pool fitted without
      // models/encoder (encoder-members.test.ts tests both).
      const pools = ensemble.manifest.ensemble[task];
      const loaded = ['loaded', 'unused'].includes(ensemble.encoderStatus.state);
      const expected = loaded ? (pools.cascade ?? pools).members : (pools.withoutEncoder ?? pools).members;
      expect(ensemble.servedMembers(task)).toEqual(expected);
      const escalated = p![task].why.includes('encoder consulted');
      expect(Object.keys(p![task].members ?? {})).toEqual(escalated ? pools.members : expected);
    }
    expect(p!.seniority.label).toBe('Senior');
    expect(p!.department.label).toBe('Information Technology');
  });

  it('is what every entry point serves', async () => {
    expect((await loadClassifier({ modelsDir: shipped })).modelVersion).toMatch(/^ensemble-[0-9a-f]{10}$/);
  });

  it('refuses a manifest whose classes differ from the code', async () => {
    const dir = tamperedCopy((m) => m.classes.seniority.reverse());
    await expect(EnsembleClassifier.load(dir, keywordConfig)).rejects.toThrow(/classes\.seniority differ/);
  });

  it('refuses a manifest whose feature layout differs from the featurizer', async () => {
    const dir = tamperedCopy((m) => m.denseFeatures.pop());
    await expect(EnsembleClassifier.load(dir, keywordConfig)).rejects.toThrow(/denseFeatures differ/);
  });

  it.each(['keywords.json', 'title-standards.json'])('refuses a model trained with another config/%s', async (file) => {
    // What an edited rule looks like to serving: the file's digest no longer matches the pin.
    const dir = tamperedCopy((m) => (m.config[file] = '0'.repeat(64)));
    await expect(EnsembleClassifier.load(dir, keywordConfig)).rejects.toThrow(new RegExp(`config/${file.replace('.', '\\.')} differs from the one the model was trained with`));
    const unpinned = tamperedCopy((m) => delete m.config[file]);
    await expect(EnsembleClassifier.load(unpinned, keywordConfig)).rejects.toThrow(/is not pinned by the manifest/);
  });

  it('refuses a manifest that names a missing model file', async () => {
    const dir = tamperedCopy((m, d) => rmSync(join(d, m.members[0].files.department)));
    await expect(EnsembleClassifier.load(dir, keywordConfig)).rejects.toThrow(/is missing/);
  });

  it('refuses a pool with the wrong number of weights', async () => {
    const dir = tamperedCopy((m) => m.ensemble.department.weights.push(1));
    await expect(EnsembleClassifier.load(dir, keywordConfig)).rejects.toThrow(/weights for/);
  });

  it('never falls back to keywords silently when the manifest is broken', async () => {
    const dir = tamperedCopy((m) => delete m.version);
    await expect(loadClassifier({ modelsDir: dir })).rejects.toThrow(/not a valid manifest: version/);
  });
});
