/**
 * The sentence encoder converted by `npm run models:encoder` (models/encoder, not in git). CI
 * installs it, so there these tests must run; elsewhere they skip, saying so, until it is installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentenceEncoder, defaultEncoderDir, encoderFeatureNames, readConcepts } from '../../src/classify/encoder.ts';
import { CLASSES } from '../../src/domain/labels.ts';
import { missingEncoder } from '../helpers/required-services.ts';
import { prepareTitle } from '../helpers/text.ts';

const dir = defaultEncoderDir();
const installed = !missingEncoder('the sentence encoder tests');

describe.runIf(installed)('sentence encoder', () => {
  let encoder: SentenceEncoder;
  beforeAll(async () => {
    encoder = await SentenceEncoder.load(dir);
  }, 60_000);
  afterAll(() => encoder?.dispose());

  const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

  it('puts the same job in three languages closer together than a different job', async () => {
    const [bookkeeper, buchhalterin, comptable, engineer, entwickler] = await encoder.encode([
      'bookkeeper',
      'buchhalterin',
      'comptable',
      'software engineer',
      'softwareentwickler',
    ]);
    for (const [a, b] of [
      [bookkeeper!, buchhalterin!],
      [bookkeeper!, comptable!],
      [buchhalterin!, comptable!],
    ] as const) {
      expect(cosine(a, b)).toBeGreaterThan(cosine(a, engineer!) + 0.03);
    }
    expect(cosine(engineer!, entwickler!)).toBeGreaterThan(cosine(engineer!, buchhalterin!) + 0.05);
  });

  it('returns unit vectors that do not depend on the rest of the batch', async () => {
    const [alone] = await encoder.encode(['head of purchasing']);
    const inBatch = await encoder.encode(['x', 'head of purchasing', 'a much longer title of a senior vice president of global strategic operations']);
    expect(alone!.length).toBe(encoder.info.dim);
    expect(Math.abs(cosine(alone!, alone!) - 1)).toBeLessThan(1e-4);
    expect(Array.from(inBatch[1]!)).toEqual(Array.from(alone!));
  });

  it('encodes odd input to finite vectors: empty, emoji, control-free injection strings, a 300-character title', async () => {
    const odd = ['', '🚀🚀', "'); drop table positions; --", '<script>alert(1)</script>', 'ǅ Ångström ß ﬁ', 'a'.repeat(300)];
    const vectors = await encoder.encode(odd);
    expect(vectors).toHaveLength(odd.length);
    for (const v of vectors) {
      expect(v.every(Number.isFinite)).toBe(true);
      expect(Math.abs(cosine(v, v) - 1)).toBeLessThan(1e-3);
    }
  });

  it('features are the embedding then one concept cosine per class, nearest concept as expected', async () => {
    const titles = ['Einkäuferin', 'acheteuse', 'Praktikant Marketing', 'Softwareentwickler'].map((t) => prepareTitle(t));
    const { data, width } = await encoder.features(titles);
    expect(width).toBe(encoderFeatureNames(encoder.info.dim).length);
    const nearest = (row: number, offset: number, classes: readonly string[]) => {
      const sims = Array.from(data.subarray(row * width + offset, row * width + offset + classes.length));
      return classes[sims.indexOf(Math.max(...sims))];
    };
    const dept = encoder.info.dim + CLASSES.seniority.length;
    expect(nearest(0, dept, CLASSES.department)).toBe('Purchasing');
    expect(nearest(1, dept, CLASSES.department)).toBe('Purchasing');
    expect(nearest(2, dept, CLASSES.department)).toBe('Marketing');
    expect(nearest(2, encoder.info.dim, CLASSES.seniority)).toBe('Junior');
    expect(nearest(3, dept, CLASSES.department)).toBe('Information Technology');
  });

  it('encodes a repeated title once (in-process cache keyed by the normalized title)', async () => {
    const before = encoder.cacheStats().computed;
    await encoder.features([prepareTitle('Leiterin Vertrieb'), prepareTitle('LEITER Vertrieb'), prepareTitle('Leiterin Vertrieb')]);
    const after = encoder.cacheStats();
    expect(after.computed - before).toBe(1);
    await encoder.features([prepareTitle('Leiter Vertrieb')]);
    expect(encoder.cacheStats().computed).toBe(after.computed);
  });
});

describe('concept descriptions', () => {
  it('describe every class of both tasks', () => {
    const { concepts, sha256 } = readConcepts();
    for (const c of CLASSES.seniority) expect(concepts.seniority[c]!.length).toBeGreaterThanOrEqual(3);
    for (const c of CLASSES.department) expect(concepts.department[c]!.length).toBeGreaterThanOrEqual(3);
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
