import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { Option } from 'commander';
import { TASKS } from '../../domain/labels.ts';
import type { InputFormat } from '../../ingest/file/file-input.ts';
import type { RunResult } from '../../ingest/file/file-runner.ts';
import { classifierSource, driftSettings, formatTable, positiveInt, printJson, withDatabase } from '../context.ts';
import { formatPercent as percent } from '../../server/format.ts';
import { type Progress, withProgress } from '../progress.ts';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('score every profile of a file and store results and statistics in the database')
    .requiredOption('-i, --input <file>', 'a JSON array of profiles (raw format or messages) or NDJSON of messages')
    .addOption(new Option('-f, --format <format>', 'input format (default: from the file extension)').choices(['json', 'ndjson']))
    .option('-b, --batch-size <n>', 'profiles per transaction', positiveInt, 500)
    .option('--as-of <YYYY-MM>', 'month treated as "now" for ongoing positions (default: this month)')
    .option('--json', 'print the summary as one JSON object')
    .option('--no-progress', 'never show progress on stderr')
    .action(async (opts: { input: string; format?: InputFormat; batchSize: number; asOf?: string; json?: boolean; progress: boolean }) => {
      // A wrong path fails before the models load, with the system's reason (ENOENT, EACCES, ...).
      await stat(opts.input).catch((err: Error) => {
        throw new Error(`--input ${opts.input}: ${err.message}`);
      });
      const { loadClassifier } = await import('../../classify/load-classifier.ts');
      const { detectFormat } = await import('../../ingest/file/file-input.ts');
      const { runFile } = await import('../../ingest/file/file-runner.ts');
      const { currentMonth } = await import('../../pipeline/score.ts');
      const format = opts.format ?? detectFormat(opts.input);
      let storedIn = '';
      const result = await withProgress({ label: 'run', unit: 'profiles', enabled: opts.progress, json: opts.json }, async (progress) => {
        progress.phase('loading model');
        const classifier = await loadClassifier(classifierSource());
        const total = await countInput(progress, opts.input, format);
        progress.phase('opening the database');
        return withDatabase(async ({ db, kind, location }) => {
          storedIn = `${kind} at ${location}`;
          // Counting starts here: opening (and migrating) the database is not in the rate.
          progress.start(total);
          return runFile(db, classifier, {
            drift: driftSettings(),
            input: opts.input,
            format,
            batchSize: opts.batchSize,
            asOf: opts.asOf ?? currentMonth(),
            onProgress: (done) => progress.update(done),
          });
        });
      });
      if (opts.json) printJson(result);
      else process.stdout.write(`${renderRun(result)}stored in ${storedIn}; \`cv-pipeline stats\` shows its totals\n`);
      // Some input was rejected: the valid part is stored, but the caller must know.
      if (result.rejected.length > 0) process.exitCode = 2;
    });
}

/**
 * The input's items, the progress total (counted only where progress shows: it reads the file
 * twice). null where the file cannot be read: the run itself reports why.
 */
async function countInput(progress: Progress, input: string, format: InputFormat): Promise<number | null> {
  if (progress.mode === 'off') return null;
  progress.phase('counting profiles');
  const { countItems } = await import('../../ingest/file/file-input.ts');
  return countItems(input, format).catch(() => null);
}

function renderRun(r: RunResult): string {
  const lines = [
    `input ${r.source}: ${r.itemsRead} items, ${r.profilesStored} profiles stored, ${r.summary.positions} positions scored, ${r.rejected.length} rejected` +
      (r.duplicateIds > 0 ? `, ${r.duplicateIds} repeated profile ids (last kept)` : ''),
    `model ${r.modelVersion}`,
    '',
  ];
  for (const task of TASKS) {
    const t = r.summary[task];
    const sources = Object.entries(t.sources).map(([s, n]) => `${s} ${n}`).join(', ');
    lines.push(`${task} (fallback rate ${percent(t.fallbackRate)}, mean confidence ${t.meanConfidence.toFixed(2)}; decided by ${sources})`);
    lines.push(formatTable(['class', 'positions', 'share'], t.shares.map((s) => [s.label, s.n, percent(s.share)])), '');
  }
  if (r.rejected.length > 0) {
    lines.push('rejected (kept in the dead_letters table):');
    for (const { ref, reason } of r.rejected.slice(0, 50)) lines.push(`  ${ref}: ${reason}`);
    if (r.rejected.length > 50) lines.push(`  … and ${r.rejected.length - 50} more`);
  }
  return `${lines.join('\n')}\n`;
}
