import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { loadClassifier } from '../../classify/load-classifier.ts';
import { type BackfillProgress, runBackfill } from '../../jobs/backfill.ts';
import { ScoringPool, defaultScoringThreads } from '../../jobs/scoring-pool.ts';
import { currentMonth } from '../../pipeline/score.ts';
import { env, printJson, withDatabase } from '../context.ts';
import { positiveInt } from './run.ts';

export function registerBackfill(program: Command): void {
  program
    .command('backfill')
    .description(
      're-score with the shipped model the positions an older model version scored (old predictions stay), then refresh statistics; resumes an interrupted run with the same options',
    )
    .option('--since <date>', 'only profiles stored or updated on or after DATE (YYYY-MM-DD or an ISO timestamp)', parseSince)
    .option('-m, --model <version>', 'only positions scored by this older model version (default: any other version)')
    .option('-b, --batch-size <n>', 'profiles per transaction (default: BACKFILL_BATCH_SIZE, 1000)', positiveInt)
    .option('--as-of <YYYY-MM>', 'month treated as "now" for ongoing positions (default: this month)')
    .option('--threads <n>', `scoring threads (default: one per core = ${defaultScoringThreads()}; 0 scores on the main thread)`, nonNegativeInt)
    .option('--json', 'print the result as one JSON object')
    .option('--no-progress', 'never show a progress bar')
    .action(async (opts: { since?: Date; model?: string; batchSize?: number; asOf?: string; threads?: number; json?: boolean; progress: boolean }) => {
      const config = env();
      const classifier = await loadClassifier();
      const threads = opts.threads ?? defaultScoringThreads();
      const pool = threads > 0 ? await ScoringPool.start(threads) : null;
      const bar = opts.progress && !opts.json && process.stderr.isTTY ? progressBar() : null;
      const result = await withDatabase(({ db }) =>
        runBackfill(db, classifier, {
          sourceModelVersion: opts.model ?? null,
          since: opts.since ?? null,
          batchSize: opts.batchSize ?? config.BACKFILL_BATCH_SIZE,
          trigger: 'cli',
          asOf: opts.asOf ?? currentMonth(),
          onProgress: (p) => bar?.update(p),
          scorer: pool,
        }),
      ).finally(async () => {
        bar?.stop();
        await pool?.close();
      });
      if (opts.json) printJson(result);
      else {
        process.stdout.write(
          `backfill run ${result.runId} ${result.resumed ? '(resumed) ' : ''}${result.status}: ${result.rowsScored}/${result.rowsTotal} positions ` +
            `(${result.profilesScored} profiles) re-scored with ${result.targetModelVersion}; ${result.rowsThisCall} in this call, ` +
            `${result.seconds.toFixed(1)} s (statistics refresh ${result.refreshSeconds.toFixed(1)} s)\n`,
        );
      }
    });
}

function progressBar(): { update(p: BackfillProgress): void; stop(): void } {
  const bar = new SingleBar(
    { stream: process.stderr, format: 're-scoring [{bar}] {percentage}% | {value}/{total} positions | eta {eta}s' },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      if (!started) bar.start(Math.max(p.rowsTotal, 1), p.rowsScored);
      started = true;
      bar.update(p.rowsScored);
    },
    stop: () => started && bar.stop(),
  };
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be an integer >= 0');
  return n;
}

function parseSince(value: string): Date {
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('is not a date (YYYY-MM-DD or an ISO timestamp)');
  return date;
}
