import type { Command } from 'commander';
import type { ModelStatistics } from '../../store/distribution-stats.ts';
import { TASKS } from '../../domain/labels.ts';
import { driftSettings, formatTable, printJson, withDatabase } from '../context.ts';
import { formatPercent as percent } from '../../server/format.ts';

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('print the distribution statistics stored in the database (newest model version by default)')
    .option('-m, --model <version>', 'model version to show')
    .option('--json', 'print as one JSON object')
    .option('--rebuild', 'repair: recompute the statistics counters from the stored rows (of --model, or of every version) before printing')
    .action(async (opts: { model?: string; json?: boolean; rebuild?: boolean }) => {
      const { listScoredModelVersions, readModelStatistics, rebuildStats } = await import('../../store/distribution-stats.ts');
      const stats = await withDatabase(async ({ db }) => {
        if (opts.rebuild) await rebuildStats(db, opts.model ?? null, driftSettings());
        const version = opts.model ?? (await listScoredModelVersions(db))[0];
        if (!version) throw new Error('the database holds no statistics yet: run `cv-pipeline run --input FILE` first');
        const found = await readModelStatistics(db, version);
        if (!found) throw new Error(`no statistics for model version ${version}`);
        return found;
      });
      if (opts.json) printJson(stats);
      else process.stdout.write(renderStats(stats));
    });
}

function renderStats(s: ModelStatistics): string {
  const lines = [`model ${s.modelVersion}: ${s.profiles} profiles, ${s.positions} positions`, ''];
  for (const task of TASKS) {
    const fallback = task === 'seniority' ? s.seniorityFallbackRate : s.departmentFallbackRate;
    const confidence = task === 'seniority' ? s.seniorityMeanConfidence : s.departmentMeanConfidence;
    lines.push(`${task} (fallback rate ${percent(fallback)}, mean confidence ${confidence.toFixed(2)})`);
    lines.push(formatTable(['class', 'positions', 'share'], s.shares[task].map((c) => [c.label, c.n, percent(c.share)])));
    lines.push(`confidence histogram (0.0 → 1.0): ${s.histograms[task].join(' ')}`, '');
  }
  return `${lines.join('\n')}\n`;
}
