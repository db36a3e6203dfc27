/**
 * Writes scored profiles, model versions and dead letters. Every write is an upsert keyed by the
 * natural key, inside one transaction per batch, so re-delivered input never duplicates a row and a
 * crash mid-batch leaves nothing half-written.
 */
import { inArray, sql } from 'drizzle-orm';
import type { ScoredProfile } from '../domain/prediction.ts';
import { contentHash } from '../domain/parse.ts';
import type { Db } from './db.ts';
import { careerFeatures, deadLetters, modelVersions, positions, predictions, profiles } from './schema.ts';

/** Rows per INSERT: keeps every statement well under Postgres' 65,535 bind parameters. */
const ROWS_PER_INSERT = 1000;

export interface ModelVersionRecord {
  version: string;
  kind: string;
  manifest: unknown;
}

/** Registers a model version once; re-registering the same version changes nothing. */
export async function registerModelVersion(db: Db, model: ModelVersionRecord): Promise<void> {
  await db
    .insert(modelVersions)
    .values({ version: model.version, kind: model.kind, manifest: model.manifest })
    .onConflictDoNothing();
}

/**
 * Stores a batch of scored profiles in one transaction. A profile whose content changed since it
 * was last stored loses its old positions and every prediction made on them (they described other
 * titles); an unchanged profile keeps other model versions' predictions for comparison.
 */
export async function storeScoredProfiles(db: Db, scored: readonly ScoredProfile[], source: string): Promise<void> {
  if (scored.length === 0) return;
  const latest = dedupeByProfileId(scored);
  await db.transaction(async (tx) => {
    const ids = latest.map((p) => p.profileId);
    const hashes = new Map(latest.map((p) => [p.profileId, contentHash(p.positions.map((s) => s.position))]));
    const stored = await tx
      .select({ id: profiles.profileId, hash: profiles.contentHash })
      .from(profiles)
      .where(inArray(profiles.profileId, ids))
      .for('update');
    const changed = stored.filter((row) => row.hash !== hashes.get(row.id)).map((row) => row.id);
    if (changed.length > 0) {
      await tx.delete(positions).where(inArray(positions.profileId, changed));
      await tx.delete(careerFeatures).where(inArray(careerFeatures.profileId, changed));
    }

    await insertChunked(latest, (chunk) =>
      tx
        .insert(profiles)
        .values(
          chunk.map((p) => ({
            profileId: p.profileId,
            source,
            contentHash: hashes.get(p.profileId)!,
            positionCount: p.positions.length,
          })),
        )
        .onConflictDoUpdate({
          target: profiles.profileId,
          set: {
            source: sql`excluded.source`,
            contentHash: sql`excluded.content_hash`,
            positionCount: sql`excluded.position_count`,
            updatedAt: sql`now()`,
          },
        }),
    );

    const scoredPositions = latest.flatMap((p) => p.positions.map((s) => ({ profileId: p.profileId, modelVersion: p.modelVersion, ...s })));
    await insertChunked(scoredPositions, (chunk) =>
      tx
        .insert(positions)
        .values(
          chunk.map((s) => ({
            profileId: s.profileId,
            positionIndex: s.index,
            title: s.title.raw,
            normalizedTitle: s.title.normalized,
            standardizedTitle: s.title.standardized,
            language: s.title.language,
            organization: s.position.organization ?? null,
            linkedin: s.position.linkedin ?? null,
            startDate: s.position.startDate ?? null,
            endDate: s.position.endDate ?? null,
            status: s.position.status ?? null,
          })),
        )
        // Same content hash means same values: nothing to update.
        .onConflictDoNothing(),
    );

    await insertChunked(scoredPositions, (chunk) =>
      tx
        .insert(predictions)
        .values(
          chunk.map((s) => ({
            profileId: s.profileId,
            positionIndex: s.index,
            modelVersion: s.modelVersion,
            seniority: s.prediction.seniority.label,
            seniorityConfidence: s.prediction.seniority.confidence,
            senioritySource: s.prediction.seniority.source,
            department: s.prediction.department.label,
            departmentConfidence: s.prediction.department.confidence,
            departmentSource: s.prediction.department.source,
            explanation: {
              seniority: { why: s.prediction.seniority.why, members: s.prediction.seniority.members ?? null },
              department: { why: s.prediction.department.why, members: s.prediction.department.members ?? null },
            },
          })),
        )
        .onConflictDoUpdate({
          target: [predictions.profileId, predictions.positionIndex, predictions.modelVersion],
          set: {
            seniority: sql`excluded.seniority`,
            seniorityConfidence: sql`excluded.seniority_confidence`,
            senioritySource: sql`excluded.seniority_source`,
            department: sql`excluded.department`,
            departmentConfidence: sql`excluded.department_confidence`,
            departmentSource: sql`excluded.department_source`,
            explanation: sql`excluded.explanation`,
            scoredAt: sql`now()`,
          },
        }),
    );

    await insertChunked(latest, (chunk) =>
      tx
        .insert(careerFeatures)
        .values(
          chunk.map((p) => ({
            profileId: p.profileId,
            modelVersion: p.modelVersion,
            currentPositionIndex: p.career.currentPositionIndex,
            currentSeniority: p.career.currentSeniority,
            currentDepartment: p.career.currentDepartment,
            totalExperienceMonths: p.career.totalExperienceMonths,
            promotions: p.career.promotions,
            senioritySlope: p.career.senioritySlope,
            features: p.career,
          })),
        )
        .onConflictDoUpdate({
          target: [careerFeatures.profileId, careerFeatures.modelVersion],
          set: {
            currentPositionIndex: sql`excluded.current_position_index`,
            currentSeniority: sql`excluded.current_seniority`,
            currentDepartment: sql`excluded.current_department`,
            totalExperienceMonths: sql`excluded.total_experience_months`,
            promotions: sql`excluded.promotions`,
            senioritySlope: sql`excluded.seniority_slope`,
            features: sql`excluded.features`,
            computedAt: sql`now()`,
          },
        }),
    );
  });
}

/** Within one batch the last occurrence of a profile id wins, as it would across batches. */
function dedupeByProfileId(scored: readonly ScoredProfile[]): ScoredProfile[] {
  return [...new Map(scored.map((p) => [p.profileId, p])).values()];
}

async function insertChunked<T>(rows: readonly T[], insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await insert(rows.slice(i, i + ROWS_PER_INSERT));
}

export interface DeadLetter {
  source: string;
  sourceRef: string;
  messageKey?: string | null;
  reason: string;
  payload: string;
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
