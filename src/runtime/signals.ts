/** Graceful shutdown of the long-running commands (consume, work). */
import { logger } from '../logger.ts';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Resolves once the first SIGTERM or SIGINT has been handled by `stop`. A second signal during a
 * slow shutdown exits at once: the operator asked twice, and everything written so far is already
 * safe (uncommitted Kafka offsets are re-delivered, unfinished jobs re-run).
 */
export function stopOnSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let stopping = false;
    const handle = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(130);
      }
      stopping = true;
      logger.info({ signal }, 'shutting down');
      stop().then(
        () => {
          for (const s of SIGNALS) process.off(s, handle);
          resolve();
        },
        reject,
      );
    };
    for (const s of SIGNALS) process.on(s, handle);
  });
}
