/** A scoring worker thread: the shipped classifier and the pure scoring core, fed batches by ScoringPool. */
import { parentPort, workerData } from 'node:worker_threads';
import { loadClassifier } from '../../classify/load-classifier.ts';
import { logLevel } from '../../config.ts';
import { logger } from '../../logger.ts';
import { scoreProfiles } from '../../pipeline/score.ts';
import type { ScoringRequest, ScoringResponse, ThreadOptions } from './scoring-pool.ts';

const port = parentPort!;
const options = workerData as ThreadOptions;
try {
  logger.level = logLevel();
  const classifier = await loadClassifier(options);
  port.on('message', (request: ScoringRequest) => {
    scoreProfiles(request.profiles, classifier, request.asOf, request.corrections).then(
      (scored) => port.postMessage({ id: request.id, scored } satisfies ScoringResponse),
      (err: Error) => port.postMessage({ id: request.id, error: err.message } satisfies ScoringResponse),
    );
  });
  port.postMessage({ ready: classifier.modelVersion });
} catch (err) {
  port.postMessage({ failed: (err as Error).message });
}
