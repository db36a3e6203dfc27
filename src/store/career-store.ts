/** Career features rows: written by a stored batch, a backfill and a correction alike. */
import type { ScoredProfile } from '../domain/prediction.ts';
import type { Db } from './db.ts';
import { unnestInsert, upsert } from './unnest.ts';

/** The career features of every profile of `scored`, upserted on (profile, model version). */
export async function upsertCareer(tx: Db, scored: readonly Pick<ScoredProfile, 'profileId' | 'modelVersion' | 'career' | 'asOf'>[]): Promise<void> {
  await tx.execute(
    unnestInsert('career_features', [
      ['profile_id', 'text', scored.map((p) => p.profileId)],
      ['model_version', 'text', scored.map((p) => p.modelVersion)],
      ['current_position_index', 'int', scored.map((p) => p.career.currentPositionIndex)],
      ['current_seniority', 'text', scored.map((p) => p.career.currentSeniority)],
      ['current_department', 'text', scored.map((p) => p.career.currentDepartment)],
      ['total_experience_months', 'int', scored.map((p) => p.career.totalExperienceMonths)],
      ['promotions', 'int', scored.map((p) => p.career.promotions)],
      ['seniority_slope', 'float8', scored.map((p) => p.career.senioritySlope)],
      ['features', 'jsonb', scored.map((p) => p.career)],
      ['as_of', 'text', scored.map((p) => p.asOf)],
    ], upsert(
      ['profile_id', 'model_version'],
      ['current_position_index', 'current_seniority', 'current_department', 'total_experience_months', 'promotions', 'seniority_slope', 'features', 'as_of'],
      'computed_at',
    )),
  );
}
