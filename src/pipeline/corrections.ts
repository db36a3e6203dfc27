/**
 * Corrections in the scoring core: where a correction applies to a title or a position, its label
 * wins with source `override` and confidence 1, and the model's own answer stays beside it (the
 * explanation shows both; an undo restores the model's). Applying a set to a prediction that an
 * older set corrected starts from the model's answer again, so the result depends on the set alone.
 */
import { type CorrectionSet, correctionFor, positionId } from '../domain/correction.ts';
import { TASKS, type Task } from '../domain/labels.ts';
import type { PositionPrediction, ScoredProfile, TaskPrediction } from '../domain/prediction.ts';
import { careerOf } from '../features/career.ts';

export function withCorrections(prediction: PositionPrediction, set: CorrectionSet, titleKey: string, positionId: string | null): PositionPrediction {
  let out = prediction;
  for (const task of TASKS) {
    const applied = correctionFor(set, task, titleKey, positionId);
    const model = modelOnly(prediction[task] as TaskPrediction<string>);
    if (!applied) {
      if (model !== prediction[task]) out = { ...out, [task as Task]: model };
      continue;
    }
    const overridden: TaskPrediction<string> = {
      ...model,
      label: applied.label,
      confidence: 1,
      source: 'override',
      why: `corrected by ${applied.author} (correction ${applied.correctionId}, ${applied.createdAt.slice(0, 10)}) for this ${
        positionId !== null && set.positions.get(positionId)?.[task] ? 'position' : 'title'
      }; the model said ${model.label} ${model.confidence.toFixed(2)} (${model.source}: ${model.why})`,
      modelAnswer: { label: model.label, confidence: model.confidence, source: model.source, why: model.why },
    };
    out = { ...out, [task as Task]: overridden };
  }
  return out;
}

/** The model's own prediction, where a correction overrode it. */
function modelOnly(p: TaskPrediction<string>): TaskPrediction<string> {
  if (!p.modelAnswer) return p;
  const { modelAnswer, ...rest } = p;
  return { ...rest, ...modelAnswer };
}

/** Every position of scored profiles with `set` applied (see withCorrections), career features recomputed. */
export function correctScored(scored: readonly ScoredProfile[], set: CorrectionSet): ScoredProfile[] {
  return scored.map((profile) => {
    const positions = profile.positions.map((p) => ({
      ...p,
      prediction: withCorrections(p.prediction, set, p.title.normalized, positionId(profile.profileId, p.index)),
    }));
    return { ...profile, positions, career: careerOf(positions, profile.asOf) };
  });
}
