/**
 * Picks the classifier every entry point serves: the trained ensemble of `models/` (or MODELS_DIR)
 * when a manifest is there, else the keyword rules alone. A manifest that is present but broken is
 * an error, never a silent downgrade.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TitleClassifier } from '../domain/prediction.ts';
import { logger } from '../logger.ts';
import { EnsembleClassifier, type EncoderStatus } from './ensemble.ts';
import { KeywordClassifier } from './keywords.ts';

const DEFAULT_MODELS_DIR = fileURLToPath(new URL('../../models', import.meta.url));

const loaded = new Map<string, Promise<TitleClassifier>>();

/** The shipped classifier, built once per process and models folder. */
export function loadClassifier(modelsDir: string = process.env.MODELS_DIR || DEFAULT_MODELS_DIR): Promise<TitleClassifier> {
  let classifier = loaded.get(modelsDir);
  if (!classifier) {
    classifier = build(modelsDir);
    loaded.set(modelsDir, classifier);
  }
  return classifier;
}

async function build(modelsDir: string): Promise<TitleClassifier> {
  if (existsSync(join(modelsDir, 'manifest.json'))) return EnsembleClassifier.load(modelsDir);
  logger.warn({ modelsDir }, 'no model manifest: scoring with the keyword rules alone');
  return new KeywordClassifier();
}

/** What /readyz reports of the classifier: its version and whether the sentence encoder serves. */
export function classifierStatus(classifier: TitleClassifier): { modelVersion: string; encoder: EncoderStatus | null } {
  return {
    modelVersion: classifier.modelVersion,
    encoder: classifier instanceof EnsembleClassifier ? classifier.encoderStatus : null,
  };
}
