import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import type { EvaluationReport, SubsetReport } from '../../evaluation/evaluate.ts';
import type { Metrics } from '../../evaluation/metrics.ts';
import { TASKS } from '../../domain/labels.ts';
import { AnnotatedProfileSchema, describeIssues } from '../../domain/profile.ts';
import { classifierSource, formatTable, printJson } from '../context.ts';
import { formatPercent as percent } from '../../server/format.ts';
import { withProgress } from '../progress.ts';

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('score annotated CVs with the shipped model and report accuracy, macro-F1 and confusion matrices')
    .requiredOption('--cvs <file>', 'annotated CVs: a JSON array of profiles whose positions carry seniority and department')
    .option('--title-only', 'score each position as a bare title with its organization (as `classify` does), not inside its profile (as `run` does)')
    .option('--json', 'print exactly one JSON object on stdout')
    .option('--no-progress', 'never show progress on stderr')
    .action(async (opts: { cvs: string; titleOnly?: boolean; json?: boolean; progress: boolean }) => {
      const { evaluate, toSummaryJson } = await import('../../evaluation/evaluate.ts');
      const { loadClassifier } = await import('../../classify/load-classifier.ts');
      const report = await withProgress({ label: 'evaluate', unit: 'CVs', enabled: opts.progress, json: opts.json }, async (progress) => {
        progress.phase('reading CVs');
        const cvs = await readAnnotated(opts.cvs);
        progress.phase('loading model');
        const classifier = await loadClassifier(classifierSource());
        progress.start(cvs.length);
        // The annotation has no reference date; the current month only affects career features.
        return evaluate(cvs, classifier, new Date().toISOString().slice(0, 7), (done) => progress.update(done), opts.titleOnly ? 'title-only' : 'profile');
      });
      if (opts.json) printJson(toSummaryJson(report));
      else process.stdout.write(renderReport(report));
    });
}

export async function readAnnotated(path: string) {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read annotated CVs from ${path}: ${(err as Error).message}`);
  }
  const parsed = z.array(AnnotatedProfileSchema).safeParse(value);
  if (!parsed.success) throw new Error(`${path} is not a JSON array of annotated profiles: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

function renderReport(report: EvaluationReport): string {
  const out = [`model ${report.modelVersion}, ${report.mode === 'profile' ? 'each position scored inside its profile' : 'each position scored as a bare title with its organization'}`];
  for (const [name, subset] of [['ACTIVE positions', report.active], ['all positions', report.all]] as const) {
    out.push('', `== ${name} (n = ${subset.n}) ==`, renderSubset(subset));
  }
  return `${out.join('\n')}\n`;
}

function renderSubset(subset: SubsetReport): string {
  return TASKS.map((task) => renderMetrics(task, subset[task])).join('\n\n');
}

function renderMetrics(task: string, m: Metrics): string {
  const perClass = formatTable(
    ['class', 'support', 'precision', 'recall', 'F1'],
    m.perClass.map((c) => [c.label, c.support, percent(c.precision), percent(c.recall), percent(c.f1)]),
  );
  const abbreviations = m.labels.map((l) => l.slice(0, 6));
  const confusion = formatTable(['truth \\ predicted', ...abbreviations], m.labels.map((l, i) => [l, ...m.confusion[i]!]));
  return [
    `${task}: accuracy ${percent(m.accuracy)}, macro-F1 ${percent(m.macroF1)}, balanced accuracy ${percent(m.balancedAccuracy)}`,
    perClass,
    '',
    confusion,
  ].join('\n');
}
