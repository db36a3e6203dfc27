/**
 * Writes scored profiles, model versions and dead letters. Every write is an upsert keyed by the
 * natural key, inside one transaction per batch, so re-delivered input never duplicates a row and a
 * crash mid-batch leaves nothing half-written.
 */
import { inArray, sql } from 'drizzle-orm';
import type { DeadLetter } from '../domain/dead-letter.ts';
import type { ScoredProfile } from '../domain/prediction.ts';
import { CLASSES, TASKS, type Task } from '../domain/labels.ts';
import { uncertainty } from '../domain/uncertainty.ts';
import { organizationKey } from '../text/organization.ts';
import { contentHash } from '../domain/parse.ts';
import { chronologicalOrder, parseMonth } from '../features/months.ts';
import type { Db } from './db.ts';
import { inTransaction } from './transaction.ts';
import { withStatistics } from './statistics.ts';
import { reconcileCorrections } from './corrections.ts';
import { unnestInsert, upsert } from './unnest.ts';
import { upsertCareer } from './career-store.ts';
import { careerFeatures, deadLetters, modelVersions, positions, profiles } from './schema.ts';

/** Rows per INSERT: keeps every statement well under Postgres' 65,535 bind parameters. */
const ROWS_PER_INSERT = 1000;

export interface ModelVersionRecord {
  version: string;
  kind: string;
  manifest: unknown;
}

/**
 * Registers a model version once; re-registering the same version changes nothing. Its partitions
 * of predictions and career features (migration 0016) are created first, in their own transaction:
 * creating one locks the parent table briefly, and every later start finds them and locks nothing.
 */
export async function registerModelVersion(db: Db, model: ModelVersionRecord): Promise<void> {
  await db.execute(sql`select cv_ensure_version_partitions(${model.version})`);
  await db
    .insert(modelVersions)
    .values({ version: model.version, kind: model.kind, manifest: model.manifest })
    .onConflictDoNothing();
}

/**
 * Stores a batch of scored profiles in one transaction (see writeScoredProfiles).
 */
export async function storeScoredProfiles(db: Db, scored: readonly ScoredProfile[], source: string): Promise<void> {
  if (scored.length > 0) await inTransaction(db, (tx) => writeScoredProfiles(tx, scored, source));
}

export interface StoredBatch {
  /** `file:<name>` or `kafka:<topic>`: the profiles' and dead letters' source. */
  source: string;
  scored: readonly ScoredProfile[];
  deadLetters: readonly DeadLetter[];
  /** More writes of the same transaction: the scoring job's offset range. */
  alsoWrite?: (tx: Db) => Promise<void>;
  /** The version of the corrections `scored` was scored with; re-applied if they changed since (store/corrections.ts). */
  correctionsVersion?: number;
}

/**
 * One batch of input, stored whole or not at all: its scored profiles, its rejected items and what
 * the caller records beside them. What `run` does per batch and the worker per job.
 */
export async function storeBatch(db: Db, batch: StoredBatch): Promise<void> {
  await inTransaction(db, async (tx) => {
    const scored = batch.correctionsVersion === undefined ? batch.scored : await reconcileCorrections(tx, batch.scored, batch.correctionsVersion);
    await writeScoredProfiles(tx, scored, batch.source);
    await storeDeadLetters(tx, batch.deadLetters);
    await batch.alsoWrite?.(tx);
  });
}

/**
 * Writes a batch of scored profiles inside the caller's transaction, statistics included
 * (statistics.ts). A profile whose content
 * changed since it was last stored loses its old positions and every prediction made on them (they
 * described other titles); an unchanged profile keeps other model versions' predictions for
 * comparison.
 */
export async function writeScoredProfiles(tx: Db, scored: readonly ScoredProfile[], source: string): Promise<void> {
  if (scored.length === 0) return;
  const latest = dedupeByProfileId(scored);
  const ids = latest.map((p) => p.profileId);
  await withStatistics(tx, ids, () => writeProfiles(tx, latest, ids, source));
}

async function writeProfiles(tx: Db, latest: readonly ScoredProfile[], ids: readonly string[], source: string): Promise<void> {
  const hashes = new Map(latest.map((p) => [p.profileId, contentHash(p.positions.map((s) => s.position))]));
  const stored = await tx
    .select({ id: profiles.profileId, hash: profiles.contentHash })
    .from(profiles)
    .where(inArray(profiles.profileId, [...ids]))
    .for('update');
  const changed = stored.filter((row) => row.hash !== hashes.get(row.id)).map((row) => row.id);
  if (changed.length > 0) {
    await tx.delete(positions).where(inArray(positions.profileId, changed));
    await tx.delete(careerFeatures).where(inArray(careerFeatures.profileId, changed));
  }

  await tx.execute(
    unnestInsert('profiles', [
      ['profile_id', 'text', latest.map((p) => p.profileId)],
      ['source', 'text', latest.map(() => source)],
      ['content_hash', 'text', latest.map((p) => hashes.get(p.profileId)!)],
      ['position_count', 'int', latest.map((p) => p.positions.length)],
    ], upsert(['profile_id'], ['source', 'content_hash', 'position_count'], 'updated_at')),
  );
  const rows = positionRows(latest);
  await tx.execute(
    unnestInsert('positions', [
      ['profile_id', 'text', rows.map((r) => r.profileId)],
      ['position_index', 'int', rows.map((r) => r.index)],
      ['title', 'text', rows.map((r) => r.title.raw)],
      ['normalized_title', 'text', rows.map((r) => r.title.normalized)],
      ['standardized_title', 'text', rows.map((r) => r.title.standardized)],
      ['language', 'text', rows.map((r) => r.title.language)],
      ['organization', 'text', rows.map((r) => r.position.organization ?? null)],
      ['organization_key', 'text', rows.map((r) => organizationKey(r.position.organization))],
      ['linkedin', 'text', rows.map((r) => r.position.linkedin ?? null)],
      ['start_date', 'text', rows.map((r) => r.position.startDate ?? null)],
      ['end_date', 'text', rows.map((r) => r.position.endDate ?? null)],
      ['status', 'text', rows.map((r) => r.position.status ?? null)],
      ['start_month', 'int', rows.map((r) => r.startMonth)],
      ['end_month', 'int', rows.map((r) => r.endMonth)],
      ['chronological_rank', 'int', rows.map((r) => r.chronologicalRank)],
    ], 'on conflict do nothing'), // an existing row has the same content hash, so the same values
  );
  await upsertPredictions(tx, latest);
  await upsertCareer(tx, latest);
}

type ScoredPositionRow = ScoredProfile['positions'][number] & {
  profileId: string;
  modelVersion: string;
  startMonth: number | null;
  endMonth: number | null;
  chronologicalRank: number;
};

function positionRows(scored: readonly ScoredProfile[]): ScoredPositionRow[] {
  return scored.flatMap((p) => {
    const starts = p.positions.map((s) => parseMonth(s.position.startDate, 'start'));
    const ranks = new Array<number>(starts.length);
    chronologicalOrder(starts).forEach((at, rank) => (ranks[at] = rank));
    return p.positions.map((s, at) => ({
      profileId: p.profileId,
      modelVersion: p.modelVersion,
      ...s,
      startMonth: starts[at] ?? null,
      endMonth: parseMonth(s.position.endDate, 'end'),
      chronologicalRank: ranks[at]!,
    }));
  });
}

/**
 * The predictions of every position of `scored`, upserted on (profile, position, model version):
 * what storing a job and committing a backfill batch both write. Returns the rows written.
 */
export async function upsertPredictions(tx: Db, scored: readonly ScoredProfile[]): Promise<number> {
  const rows = positionRows(scored);
  await tx.execute(
    unnestInsert('predictions', [
      ['profile_id', 'text', rows.map((r) => r.profileId)],
      ['position_index', 'int', rows.map((r) => r.index)],
      ['model_version', 'text', rows.map((r) => r.modelVersion)],
      ['seniority', 'text', rows.map((r) => r.prediction.seniority.label)],
      ['seniority_confidence', 'real', rows.map((r) => r.prediction.seniority.confidence)],
      ['seniority_source', 'text', rows.map((r) => r.prediction.seniority.source)],
      ['department', 'text', rows.map((r) => r.prediction.department.label)],
      ['department_confidence', 'real', rows.map((r) => r.prediction.department.confidence)],
      ['department_source', 'text', rows.map((r) => r.prediction.department.source)],
      ['explanation', 'jsonb', rows.map((r) => predictionExplanation(r.prediction))],
    ], upsert(
      ['profile_id', 'position_index', 'model_version'],
      ['seniority', 'seniority_confidence', 'seniority_source', 'department', 'department_confidence', 'department_source', 'explanation'],
      'scored_at',
    )),
  );
  return rows.length;
}

/** What a stored prediction explains (the `explanation` column): rules, members, uncertainty, a corrected model answer. */
export function predictionExplanation(p: ScoredProfile['positions'][number]['prediction']) {
  const modelAnswer = Object.fromEntries(TASKS.flatMap((task) => (p[task].modelAnswer ? [[task, p[task].modelAnswer]] : [])));
  const task = (t: Task) => ({
    why: p[t].why,
    members: p[t].members ?? null,
    // The model's doubt (not an override's), which the review queue ranks by.
    uncertainty: uncertainty(p[t].probabilities, p[t].modelAnswer?.confidence ?? p[t].confidence, CLASSES[t].length),
  });
  return {
    seniority: task('seniority'),
    department: task('department'),
    // What the model said where a correction overrode it (store/corrections.ts restores it on undo).
    ...(Object.keys(modelAnswer).length > 0 ? { modelAnswer } : {}),
  };
}

/** Within one batch the last occurrence of a profile id wins, as it would across batches. */
function dedupeByProfileId(scored: readonly ScoredProfile[]): ScoredProfile[] {
  return [...new Map(scored.map((p) => [p.profileId, p])).values()];
}

async function insertChunked<T>(rows: readonly T[], insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await insert(rows.slice(i, i + ROWS_PER_INSERT));
}


/** Keeps rejected input verbatim with its reason; the same input rejected twice is stored once. */
export async function storeDeadLetters(db: Db, letters: readonly DeadLetter[]): Promise<void> {
  await insertChunked(letters, (chunk) =>
    db
      .insert(deadLetters)
      .values(chunk.map((d) => ({ ...d, messageKey: d.messageKey ?? null })))
      .onConflictDoUpdate({
        target: [deadLetters.source, deadLetters.sourceRef],
        set: { reason: sql`excluded.reason`, payload: sql`excluded.payload`, receivedAt: sql`now()` },
      }),
  );
}
