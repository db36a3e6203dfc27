/**
 * What a worker does with one job: score its profiles with the shared core and write the results
 * and the job's dead letters in ONE transaction. Every write is an upsert on its natural key, so a
 * job that runs twice (retried after a crash, or re-enqueued after a re-delivery) stores each row once.
 */
import type { TitleClassifier } from '../../domain/prediction.ts';
import { scoreProfiles } from '../../pipeline/score.ts';
import type { Db } from '../../store/db.ts';
import { recordStoredRange } from '../../store/offset-ledger.ts';
import { storeBatch } from '../../store/write-results.ts';
import { type CorrectionSet, NO_CORRECTIONS } from '../../domain/correction.ts';
import type { ScoreJobData } from '../../domain/score-job.ts';

export interface StoredJob {
  profiles: number;
  positions: number;
  deadLetters: number;
}

export async function storeScoreJob(
  db: Db,
  classifier: TitleClassifier,
  job: ScoreJobData,
  asOf: string,
  corrections: CorrectionSet = NO_CORRECTIONS,
): Promise<StoredJob> {
  // Scoring happens before the transaction opens, so no connection sits idle in a transaction while the CPU works.
  const scored = await scoreProfiles(job.profiles, classifier, asOf, corrections);
  await storeBatch(db, {
    source: job.source,
    scored,
    deadLetters: job.deadLetters,
    // In the same transaction as the rows: the consumer commits past this range only once it is here.
    alsoWrite: (tx) => recordStoredRange(tx, job),
    correctionsVersion: corrections.version,
  });
  return {
    profiles: scored.length,
    positions: scored.reduce((n, p) => n + p.positions.length, 0),
    deadLetters: job.deadLetters.length,
  };
}
