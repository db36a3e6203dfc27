/**
 * The batch entry point: file → validate → score → store → refresh statistics. Valid profiles are
 * stored batch by batch (one transaction each); invalid items are kept in `dead_letters` with their
 * reason and place in the file. Errors of the database itself are not caught: the run stops, and
 * re-running the same file is safe because every write is an idempotent upsert.
 */
import { basename } from 'node:path';
import { correctionSource } from '../../store/corrections.ts';
import type { ProfileMessage } from '../../domain/profile.ts';
import type { TitleClassifier } from '../../domain/prediction.ts';
import { type DriftSettings, refreshDriftStats } from '../../store/distribution-stats.ts';
import { type ScoringSummary, SummaryAccumulator } from '../../reporting/run-summary.ts';
import { scoreProfilesInChunks } from '../../pipeline/score.ts';
import type { Db } from '../../store/db.ts';
import type { DeadLetter } from '../../domain/dead-letter.ts';
import { storeBatch } from '../../store/write-results.ts';
import { registerClassifier } from '../../store/model-registration.ts';
import { type InputFormat, readInputFile } from './file-input.ts';

export interface RunOptions {
  input: string;
  format?: InputFormat;
  batchSize?: number;
  /** The month treated as "now" for open-ended positions (YYYY-MM). */
  asOf: string;
  /**
   * Called with the number of items handled so far: after every SCORE_CHUNK profiles scored and
   * after each stored batch (a batch of 500 with the sentence encoder takes most of a minute).
   */
  onProgress?: (itemsDone: number) => void;
  /** How the statistics refreshed at the end flag drift (default DEFAULT_DRIFT). */
  drift?: DriftSettings;
}

export interface RunResult {
  source: string;
  modelVersion: string;
  itemsRead: number;
  profilesStored: number;
  /** Profile ids seen more than once in the input (the last occurrence is stored; the summary counts each). */
  duplicateIds: number;
  rejected: { ref: string; reason: string }[];
  summary: ScoringSummary;
}

/**
 * Profiles per classifier call within a batch (the batch stays one transaction): small enough for
 * progress every few seconds with the sentence encoder, large enough for batched inference.
 */
const SCORE_CHUNK = 32;

export async function runFile(db: Db, classifier: TitleClassifier, options: RunOptions): Promise<RunResult> {
  const source = `file:${basename(options.input)}`;
  const batchSize = options.batchSize ?? 500;
  await registerClassifier(db, classifier);

  const corrections = correctionSource(db);
  const seen = new Set<string>();
  const summary = new SummaryAccumulator();
  const rejected: DeadLetter[] = [];
  let itemsRead = 0;
  let duplicateIds = 0;
  let batch: ProfileMessage[] = [];
  let letters: DeadLetter[] = [];

  const flush = async () => {
    // Invalid items of the batch need no scoring: they count as handled once its scoring starts.
    const handledBefore = itemsRead - batch.length;
    const set = await corrections.current();
    const scored = await scoreProfilesInChunks(batch, classifier, options.asOf, SCORE_CHUNK, set, (n) =>
      n < batch.length ? options.onProgress?.(handledBefore + n) : undefined,
    );
    await storeBatch(db, { source, scored, deadLetters: letters, correctionsVersion: set.version });
    summary.add(scored);
    batch = [];
    letters = [];
    options.onProgress?.(itemsRead);
  };

  for await (const item of readInputFile(options.input, options.format)) {
    itemsRead += 1;
    if (item.result.ok) {
      const id = item.result.value.profileId;
      if (seen.has(id)) duplicateIds += 1;
      seen.add(id);
      batch.push(item.result.value);
    } else {
      const letter = { source, sourceRef: item.ref, reason: item.result.reason, payload: item.payload };
      letters.push(letter);
      rejected.push(letter);
    }
    if (batch.length + letters.length >= batchSize) await flush();
  }
  await flush();
  await refreshDriftStats(db, classifier.modelVersion, options.drift);

  return {
    source,
    modelVersion: classifier.modelVersion,
    itemsRead,
    profilesStored: seen.size,
    duplicateIds,
    rejected: rejected.map(({ sourceRef, reason }) => ({ ref: sourceRef, reason })),
    summary: summary.result(),
  };
}
