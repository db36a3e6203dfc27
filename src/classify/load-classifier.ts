/**
 * Picks the classifier every entry point serves: the trained ensemble of `models/` (or another folder)
 * when a manifest is there, else the keyword rules alone. A manifest that is present but broken is
 * an error, never a silent downgrade.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TitleClassifier } from '../domain/prediction.ts';
import { logger } from '../logger.ts';
import { defaultEncoderDir } from './encoder.ts';
import { EnsembleClassifier, type EncoderStatus } from './ensemble.ts';
import { KeywordClassifier } from './keywords.ts';

const DEFAULT_MODELS_DIR = fileURLToPath(new URL('../../models', import.meta.url));

const loaded = new Map<string, Promise<TitleClassifier>>();

/** Where the classifier comes from; the command line fills it from MODELS_DIR and ENCODER_DIR. */
export interface ClassifierSource {
  /** Default: models/ of this checkout. */
  modelsDir?: string;
  /** Default: models/encoder of this checkout. */
  encoderDir?: string;
}

/** The shipped classifier, built once per process and source. */
export function loadClassifier(source: ClassifierSource = {}): Promise<TitleClassifier> {
  const modelsDir = source.modelsDir ?? DEFAULT_MODELS_DIR;
  const encoderDir = source.encoderDir ?? defaultEncoderDir();
  const key = JSON.stringify([modelsDir, encoderDir]);
  let classifier = loaded.get(key);
  if (!classifier) {
    classifier = build(modelsDir, encoderDir);
    loaded.set(key, classifier);
  }
  return classifier;
}

async function build(modelsDir: string, encoderDir: string): Promise<TitleClassifier> {
  if (existsSync(join(modelsDir, 'manifest.json'))) return EnsembleClassifier.load(modelsDir, { encoderDir });
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
