/**
 * What every command needs from the outside world: configuration, the database, output helpers.
 * Commands import heavy modules (database drivers, models, queues) inside their actions, never at
 * the top, so `--help`, `--version` and argument errors answer at once.
 */
import { InvalidArgumentError } from 'commander';
import { type Env, loadEnv } from '../config.ts';
import type { Database } from '../store/db.ts';

export function env(): Env {
  return loadEnv();
}

/** Where the served classifier comes from: MODELS_DIR, ENCODER_DIR and ENCODER_MODE. */
export function classifierSource(config: Env = env()) {
  return { modelsDir: config.MODELS_DIR, encoderDir: config.ENCODER_DIR, encoderMode: config.ENCODER_MODE };
}

/** How statistics flag drift, from DRIFT_PSI_THRESHOLD and DRIFT_MIN_POSITIONS. */
export function driftSettings(config: Env = env()) {
  return { driftThreshold: config.DRIFT_PSI_THRESHOLD, driftMinPositions: config.DRIFT_MIN_POSITIONS };
}

/** Opens the configured database and applies pending migrations (cheap when none are pending). */
export async function openMigratedDatabase(config: Env = env()): Promise<Database> {
  const { openDatabase } = await import('../store/db.ts');
  const database = await openDatabase({ url: config.DATABASE_URL, pgliteDir: config.PGLITE_DIR });
  try {
    await database.migrate();
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

/**
 * The database of the commands that only read (`serve`, `analytics`): READ_DATABASE_URL when set,
 * a replica that must not be migrated (it is read-only, and follows its primary's schema), else
 * the configured database, migrated.
 */
export async function openReadDatabase(config: Env = env()): Promise<Database> {
  if (!config.READ_DATABASE_URL) return openMigratedDatabase(config);
  const { openDatabase } = await import('../store/db.ts');
  return openDatabase({ url: config.READ_DATABASE_URL });
}

/** Runs `work` with an open database (`open`: migrated by default) and always closes it. */
export async function withDatabase<T>(work: (database: Database) => Promise<T>, open: () => Promise<Database> = openMigratedDatabase): Promise<T> {
  const database = await open();
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}


/** A plain aligned text table (by default the first column left-aligned, the rest right-aligned). */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  align: readonly ('left' | 'right')[] = [],
): string {
  const cells = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const left = (i: number) => (align[i] ?? (i === 0 ? 'left' : 'right')) === 'left';
  return cells
    .map((r) => r.map((c, i) => (left(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd())
    .join('\n');
}

/** Option parsers: commander reports their message with the option's name. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be an integer >= 0');
  return n;
}
