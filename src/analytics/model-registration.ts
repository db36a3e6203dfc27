/**
 * Every entry point registers the classifier it scores with before storing a prediction: the
 * model_versions row (with the full manifest, so SQL can read how the model measured) and, where
 * the manifest carries one, the training class distribution that drift is measured against.
 */
import type { TitleClassifier } from '../domain/prediction.ts';
import type { Db } from '../store/db.ts';
import { registerModelVersion } from '../store/write-results.ts';
import { classifierManifest, fillReferenceFromManifest } from './reference-distribution.ts';

export async function registerClassifier(db: Db, classifier: TitleClassifier): Promise<void> {
  const manifest = classifierManifest(classifier);
  await registerModelVersion(db, {
    version: classifier.modelVersion,
    kind: classifier.modelVersion.split('-')[0] ?? 'unknown',
    manifest: manifest ?? { version: classifier.modelVersion },
  });
  await fillReferenceFromManifest(db, classifier.modelVersion, manifest);
}
