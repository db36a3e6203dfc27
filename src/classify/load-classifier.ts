/**
 * Picks the classifier every entry point serves. Today that is the keyword model; the trained
 * ensemble (models/manifest.json) takes its place when it ships, with the keywords as fallback.
 */
import type { TitleClassifier } from '../domain/prediction.ts';
import { KeywordClassifier } from './keywords.ts';

let shipped: TitleClassifier | undefined;

/** The shipped classifier, built once per process. */
export function loadClassifier(): TitleClassifier {
  shipped ??= new KeywordClassifier();
  return shipped;
}
