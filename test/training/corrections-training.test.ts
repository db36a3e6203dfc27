/**
 * `npm run train -- --corrections FILE` trained on the analysts' corrections and measured them held
 * out: CI trains its reduced model on examples/corrections.csv (TRAINING_CORRECTIONS) into
 * EXTRA_MODELS_DIR, with the report in EXTRA_MODELS_REPORTS.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { TASKS } from '../../src/domain/labels.ts';

const csv = process.env.TRAINING_CORRECTIONS;
const model = process.env.EXTRA_MODELS_DIR;
const reports = process.env.EXTRA_MODELS_REPORTS;
const ready = Boolean(csv && model && reports && existsSync(join(model, 'manifest.json')));

it.runIf(process.env.CI === 'true')('CI trained its reduced model on corrections', () => {
  expect(ready).toBe(true);
});

describe.runIf(ready)('a model trained with --corrections', () => {
  // Read in beforeAll: a skipped describe's body still runs to collect its tests.
  let titled: { title: string; seniority: string; department: string }[];
  let manifest: { training: { corrections: number }; metrics: { corrections?: Record<string, unknown> & { corrections: number } } };
  beforeAll(() => {
    const rows = parse(readFileSync(csv!), { columns: true, bom: true }) as typeof titled;
    titled = rows.filter((r) => r.title.trim() !== '');
    manifest = JSON.parse(readFileSync(join(model!, 'manifest.json'), 'utf8')) as typeof manifest;
  });

  it('records how many title corrections it trained on', () => {
    expect(titled.length).toBeGreaterThan(0);
    expect(manifest.training.corrections).toBe(titled.length);
  });

  it('measures them held out, with and without corrections in training, beside the keyword rules', () => {
    const held = manifest.metrics.corrections!;
    expect(held.corrections).toBe(titled.length);
    for (const task of TASKS) {
      const block = held[task] as Record<string, { accuracy: number; macroF1: number }> & { n: number };
      expect(block.n).toBe(titled.filter((r) => r[task] !== '').length);
      const variants = Object.keys(block).filter((k) => k !== 'n');
      expect(variants).toEqual(['keywords', 'ensemble, trained without corrections', "ensemble, trained with the other folds' corrections"]);
      for (const v of variants) {
        expect(block[v]!.accuracy).toBeGreaterThan(0);
        expect(block[v]!.accuracy).toBeLessThanOrEqual(1);
      }
    }
    const report = readFileSync(join(reports!, 'evaluation.md'), 'utf8');
    expect(report).toContain("## Analysts' corrections, held out");
    expect(report).toContain(`${titled.length} title corrections`);
  });
});
