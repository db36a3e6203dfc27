import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { classifierSource, driftSettings, env, nonNegativeInt, positiveInt, printJson, withDatabase } from '../context.ts';
import { withProgress } from '../progress.ts';

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
    .option('--threads <n>', `scoring threads (default: one per core = ${availableParallelism()}; 0 scores on the main thread)`, nonNegativeInt)
    .option('--json', 'print the result as one JSON object')
    .option('--no-progress', 'never show progress on stderr')
    .action(async (opts: { since?: Date; model?: string; batchSize?: number; asOf?: string; threads?: number; json?: boolean; progress: boolean }) => {
      const config = env();
      const { loadClassifier } = await import('../../classify/load-classifier.ts');
      const { runBackfill } = await import('../../queues/backfill/backfill.ts');
      const { ScoringPool, defaultScoringThreads } = await import('../../queues/backfill/scoring-pool.ts');
      const { currentMonth } = await import('../../pipeline/score.ts');
      const result = await withProgress({ label: 'backfill', unit: 'positions', enabled: opts.progress, json: opts.json }, async (progress) => {
        progress.phase('loading model');
        const classifier = await loadClassifier(classifierSource());
        const threads = opts.threads ?? defaultScoringThreads();
        if (threads > 0) progress.phase(`starting ${threads} scoring threads`);
        const pool = threads > 0 ? await ScoringPool.start(threads, classifierSource()) : null;
        progress.phase('finding positions to re-score');
        let started = false;
        return withDatabase(({ db }) =>
          runBackfill(db, classifier, {
            drift: driftSettings(config),
            sourceModelVersion: opts.model ?? null,
            since: opts.since ?? null,
            batchSize: opts.batchSize ?? config.BACKFILL_BATCH_SIZE,
            profilesPerRange: config.BACKFILL_RANGE_PROFILES,
            trigger: 'cli',
            asOf: opts.asOf ?? currentMonth(),
            // The first report (a resumed run: above zero) starts the count; rate and ETA cover this call only.
            onProgress: (p) => {
              if (!started) progress.start(p.rowsTotal, p.rowsScored);
              else progress.update(p.rowsScored, p.rowsTotal);
              started = true;
            },
            scorer: pool,
          }),
        ).finally(async () => {
          await pool?.close();
        });
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

function parseSince(value: string): Date {
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('is not a date (YYYY-MM-DD or an ISO timestamp)');
  return date;
}
