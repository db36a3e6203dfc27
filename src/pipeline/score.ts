/**
 * The scoring core: validated profiles in, scored profiles out. Pure (the caller passes the
 * classifier, the month treated as "now" and the analysts' corrections), so every entry point
 * scores identically.
 */
import { careerOf } from '../features/career.ts';
import type { PositionPrediction, PreparedTitle, ProfileContext, ScoredProfile, TitleClassifier } from '../domain/prediction.ts';
import type { ProfileMessage } from '../domain/profile.ts';
import { type CorrectionSet, NO_CORRECTIONS, positionId } from '../domain/correction.ts';
import { withCorrections } from './corrections.ts';

/**
 * Scores a batch of profiles with one classifier call for all their titles (batched inference is
 * what makes model members fast).
 */
export async function scoreProfiles(
  profiles: readonly ProfileMessage[],
  classifier: TitleClassifier,
  asOf: string,
  corrections: CorrectionSet = NO_CORRECTIONS,
): Promise<ScoredProfile[]> {
  const titles: PreparedTitle[] = [];
  const contexts: ProfileContext[] = [];
  for (const profile of profiles) {
    const profileTitles = profile.positions.map((pos) => classifier.prepare(pos.position, pos.organization ?? null));
    profileTitles.forEach((title, index) => {
      titles.push(title);
      contexts.push({ index, positions: profile.positions, titles: profileTitles });
    });
  }
  const predictions = await classifier.classify(titles, contexts);
  if (predictions.length !== titles.length) {
    throw new Error(`classifier ${classifier.modelVersion} returned ${predictions.length} predictions for ${titles.length} titles`);
  }
  let next = 0;
  return profiles.map((profile) => {
    const positions = profile.positions.map((position, index) => {
      const k = next++;
      const prediction = withCorrections(predictions[k]!, corrections, titles[k]!.normalized, positionId(profile.profileId, index));
      return { index, position, title: titles[k]!, prediction };
    });
    return { profileId: profile.profileId, modelVersion: classifier.modelVersion, positions, career: careerOf(positions, asOf), asOf };
  });
}

/** A bare title to score: what `classify`, `classify --csv` and `POST /classify` receive. */
export interface TitleQuery {
  title: string;
  organization?: string | null;
}

export interface ScoredTitle {
  title: PreparedTitle;
  prediction: PositionPrediction;
}

/**
 * Scores bare titles, each as the one position of a profile holding its title and organization
 * and nothing else: the answer `scoreProfiles` gives that profile, by construction (the model is
 * trained on CV positions in this view too, so a bare title gets the CV conventions).
 */
export async function scoreTitles(
  queries: readonly TitleQuery[],
  classifier: TitleClassifier,
  corrections: CorrectionSet = NO_CORRECTIONS,
): Promise<ScoredTitle[]> {
  const titles = queries.map((q) => classifier.prepare(q.title, q.organization ?? null));
  // No context: each title alone, which the classifier reads as a one-position profile (and caches).
  const predictions = await classifier.classify(titles);
  if (predictions.length !== titles.length) {
    throw new Error(`classifier ${classifier.modelVersion} returned ${predictions.length} predictions for ${titles.length} titles`);
  }
  return titles.map((title, i) => ({ title, prediction: withCorrections(predictions[i]!, corrections, title.normalized, null) }));
}

/**
 * scoreProfiles over consecutive slices of `chunkSize` profiles, calling `onChunk` with the number
 * scored so far after each: the progress of a long input, where one classifier call for all of it
 * would report only at its end. Results are in input order, as from one call.
 */
export async function scoreProfilesInChunks(
  profiles: readonly ProfileMessage[],
  classifier: TitleClassifier,
  asOf: string,
  chunkSize: number,
  corrections: CorrectionSet = NO_CORRECTIONS,
  onChunk?: (profilesScored: number) => void,
): Promise<ScoredProfile[]> {
  const scored: ScoredProfile[] = [];
  for (let start = 0; start < profiles.length; start += chunkSize) {
    scored.push(...(await scoreProfiles(profiles.slice(start, start + chunkSize), classifier, asOf, corrections)));
    onChunk?.(scored.length);
  }
  return scored;
}

/** The current month as `YYYY-MM` (UTC): the "now" that entry points pass to the core. */
export function currentMonth(date: Date = new Date()): string {
  return date.toISOString().slice(0, 7);
}
