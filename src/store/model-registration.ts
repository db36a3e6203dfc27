/**
 * Every entry point that stores predictions attaches the classifier it scores with to the
 * database first: the model_versions row (with the full manifest, so SQL can read how the model
 * measured), the training class distribution drift is measured against (where the manifest
 * carries one), and the shared title-embedding table as the encoder's cache. One call, so no
 * entry point can forget a part.
 */
import { EnsembleClassifier } from '../classify/ensemble.ts';
import { PostgresEmbeddingStore } from './embedding-store.ts';
import type { TitleClassifier } from '../domain/prediction.ts';
import type { Db } from './db.ts';
import { registerModelVersion } from './write-results.ts';
import { classifierManifest, fillReferenceFromManifest } from './reference-distribution.ts';

export async function registerClassifier(db: Db, classifier: TitleClassifier): Promise<void> {
  shareEmbeddings(classifier, db);
  const manifest = classifierManifest(classifier);
  await registerModelVersion(db, {
    version: classifier.modelVersion,
    kind: classifier.modelVersion.split('-')[0] ?? 'unknown',
    manifest: manifest ?? { version: classifier.modelVersion },
  });
  await fillReferenceFromManifest(db, classifier.modelVersion, manifest);
}

/**
 * Title embeddings shared through the database's title_embeddings table, so every worker encodes
 * a title once per encoder version (no-op for classifiers without an encoder).
 */
export function shareEmbeddings(classifier: TitleClassifier, db: Db): void {
  if (classifier instanceof EnsembleClassifier) classifier.useEmbeddingStore(new PostgresEmbeddingStore(db));
}
