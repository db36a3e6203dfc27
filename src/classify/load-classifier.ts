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
import { EnsembleClassifier, type EncoderMode, type EncoderStatus } from './ensemble.ts';
import { DEFAULT_CONFIG_DIR } from '../text/text-config.ts';
import { type KeywordConfig, loadKeywordRules } from './keyword-rules.ts';
import { KeywordClassifier } from './keywords.ts';

const DEFAULT_MODELS_DIR = fileURLToPath(new URL('../../models', import.meta.url));

const loaded = new Map<string, Promise<TitleClassifier>>();

/** Where the classifier comes from; the command line fills it from MODELS_DIR and ENCODER_DIR. */
export interface ClassifierSource {
  /** Default: models/ of this checkout. */
  modelsDir?: string;
  /** Default: models/encoder of this checkout. */
  encoderDir?: string;
  /** Default: `cascade` (ensemble.ts). */
  encoderMode?: EncoderMode;
  /** The text tables and keyword rules; default: config/ of this checkout. */
  configDir?: string;
}

/** The shipped classifier, built once per process and source. */
export function loadClassifier(source: ClassifierSource = {}): Promise<TitleClassifier> {
  const modelsDir = source.modelsDir ?? DEFAULT_MODELS_DIR;
  const encoderDir = source.encoderDir ?? defaultEncoderDir();
  const configDir = source.configDir ?? fileURLToPath(DEFAULT_CONFIG_DIR);
  const encoderMode = source.encoderMode ?? 'cascade';
  const key = JSON.stringify([modelsDir, encoderDir, configDir, encoderMode]);
  let classifier = loaded.get(key);
  if (!classifier) {
    classifier = build(modelsDir, encoderDir, encoderMode, loadKeywordRules(configDir));
    loaded.set(key, classifier);
  }
  return classifier;
}

/** The one place the scorer is assembled: the model files, the encoder and the tables, all explicit. */
async function build(modelsDir: string, encoderDir: string, encoderMode: EncoderMode, config: KeywordConfig): Promise<TitleClassifier> {
  if (existsSync(join(modelsDir, 'manifest.json'))) return EnsembleClassifier.load(modelsDir, config, { encoderDir, encoderMode });
  logger.warn({ modelsDir }, 'no model manifest: scoring with the keyword rules alone');
  return new KeywordClassifier(config);
}

/** What /readyz reports of the classifier: its version and whether the sentence encoder serves. */
export function classifierStatus(classifier: TitleClassifier): { modelVersion: string; encoder: EncoderStatus | null } {
  return {
    modelVersion: classifier.modelVersion,
    encoder: classifier instanceof EnsembleClassifier ? classifier.encoderStatus : null,
  };
}
