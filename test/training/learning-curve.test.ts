/**
 * The learning-curve simulation (training/learning_curve.py) produced its table: CI runs it reduced
 * before the tests and names the JSON it wrote in LEARNING_CURVE_REPORT (required there).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const report = process.env.LEARNING_CURVE_REPORT;
const STRATEGIES = ['queue: least confidence', 'queue: combined + diversity', 'random'];

it.runIf(process.env.CI === 'true')('CI ran the learning-curve simulation', () => {
  expect(report && existsSync(report)).toBeTruthy();
});

describe.runIf(report && existsSync(report))('the learning-curve table', () => {
  it('has every k for every strategy, with figures in 0..1 and more positions labeled as k grows', () => {
    const { rows } = JSON.parse(readFileSync(report!, 'utf8')) as {
      rows: { k: number; strategy: string; positionsLabeled: number; seniority: { accuracy: number; macroF1: number }; department: { accuracy: number; macroF1: number } }[];
    };
    expect(rows.map((r) => `${r.k} ${r.strategy}`)).toEqual([
      '0 none (strict model)',
      ...[50, 100, 200, 400].flatMap((k) => STRATEGIES.map((s) => `${k} ${s}`)),
    ]);
    for (const r of rows) {
      for (const v of [r.seniority.accuracy, r.seniority.macroF1, r.department.accuracy, r.department.macroF1]) {
        expect(v).toBeGreaterThan(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    }
    for (const strategy of STRATEGIES) {
      const labeled = rows.filter((r) => r.strategy === strategy).map((r) => r.positionsLabeled);
      expect(labeled).toEqual([...labeled].sort((a, b) => a - b));
      expect(labeled[0]).toBeGreaterThanOrEqual(50);
    }
    expect(readFileSync(report!.replace(/\.json$/, '.md'), 'utf8')).toContain('| k reviews | chosen by |');
  });
});
