import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { TASKS } from '../../domain/labels.ts';
import { loadClassifier } from '../../classify/load-classifier.ts';
import { countItems, detectFormat, type InputFormat } from '../../ingest/file-input.ts';
import { type RunResult, runFile } from '../../ingest/file-runner.ts';
import { currentMonth } from '../../pipeline/score.ts';
import { formatTable, percent, printJson, withDatabase } from '../context.ts';

/** Inputs below this many items finish before a progress bar would tell anything. */
const PROGRESS_MIN_ITEMS = 1000;

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('score every profile of a file and store results and statistics in the database')
    .requiredOption('-i, --input <file>', 'a JSON array of profiles (raw format or messages) or NDJSON of messages')
    .addOption(new Option('-f, --format <format>', 'input format (default: from the file extension)').choices(['json', 'ndjson']))
    .option('-b, --batch-size <n>', 'profiles per transaction', positiveInt, 500)
    .option('--as-of <YYYY-MM>', 'month treated as "now" for ongoing positions (default: this month)')
    .option('--json', 'print the summary as one JSON object')
    .option('--no-progress', 'never show a progress bar')
    .action(async (opts: { input: string; format?: InputFormat; batchSize: number; asOf?: string; json?: boolean; progress: boolean }) => {
      const format = opts.format ?? detectFormat(opts.input);
      const classifier = await loadClassifier();
      const bar = opts.progress && !opts.json && process.stderr.isTTY ? await progressBar(opts.input, format) : null;
      let storedIn = '';
      const result = await withDatabase(async ({ db, kind, location }) => {
        storedIn = `${kind} at ${location}`;
        return runFile(db, classifier, {
          input: opts.input,
          format,
          batchSize: opts.batchSize,
          asOf: opts.asOf ?? currentMonth(),
          onProgress: (done) => bar?.update(done),
        });
      }).finally(() => bar?.stop());
      if (opts.json) printJson(result);
      else process.stdout.write(`${renderRun(result)}stored in ${storedIn}; \`cv-pipeline stats\` shows its totals\n`);
      // Some input was rejected: the valid part is stored, but the caller must know.
      if (result.rejected.length > 0) process.exitCode = 2;
    });
}

async function progressBar(input: string, format: InputFormat): Promise<SingleBar | null> {
  const total = await countItems(input, format);
  if (total < PROGRESS_MIN_ITEMS) return null;
  const bar = new SingleBar({ stream: process.stderr, format: 'scoring [{bar}] {percentage}% | {value}/{total} items | eta {eta}s' }, Presets.shades_classic);
  bar.start(total, 0);
  return bar;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
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
