/**
 * The `cv-pipeline` command line. Each subcommand lives in commands/; errors end the process with
 * their message and a non-zero status, never a stack trace for a user mistake.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { logLevel } from '../config.ts';
import { logger } from '../logger.ts';
import { registerClassify } from './commands/classify.ts';
import { registerConsume } from './commands/consume.ts';
import { registerCorrections } from './commands/corrections.ts';
import { registerEvaluate } from './commands/evaluate.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerModels } from './commands/models.ts';
import { registerProduce } from './commands/produce.ts';
import { registerRun } from './commands/run.ts';
import { registerStats } from './commands/stats.ts';
import { registerWork } from './commands/work.ts';
import { registerAnalytics } from './commands/analytics.ts';
import { registerBackfill } from './commands/backfill.ts';
import { registerBackfillWorker } from './commands/backfill-worker.ts';
import { registerReference } from './commands/reference.ts';
import { registerServe } from './commands/serve.ts';
import { registerVerify } from './commands/verify.ts';

const program = new Command('cv-pipeline')
  .description('Scores CV profiles (seniority, department, career features) and stores results and statistics in Postgres')
  .version(packageVersion(), '-V, --version')
  .showHelpAfterError();

registerRun(program);
registerClassify(program);
registerMigrate(program);
registerStats(program);
registerModels(program);
registerCorrections(program);
registerEvaluate(program);
registerProduce(program);
registerConsume(program);
registerWork(program);
registerAnalytics(program);
registerReference(program);
registerBackfill(program);
registerBackfillWorker(program);
registerServe(program);
registerVerify(program);

try {
  logger.level = logLevel();
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`cv-pipeline: ${describeError(err as Error)}\n`);
  if (logger.level === 'debug') process.stderr.write(`${(err as Error).stack}\n`);
  process.exitCode = 1;
}

/**
 * The message of an error; for a failed query (drizzle wraps the driver's error, and its own message
 * is the whole SQL) the database's reason first, then the statement's first line.
 */
function describeError(err: Error): string {
  if (!(err.cause instanceof Error) || !err.message.startsWith('Failed query:')) return err.message;
  const statement = err.message.slice('Failed query:'.length).trim().split('\n')[0]!;
  return `${err.cause.message} (query: ${statement.length > 100 ? `${statement.slice(0, 100)}…` : statement})`;
}

/** The version in package.json, two folders up from both src/cli and dist/cli. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
