/**
 * Start-up of the long-running commands (consume, work, serve, backfill-worker) while Postgres,
 * Redis or Kafka is down: try again with exponential backoff (1 s doubling to 30 s) and one log
 * line per failure, until it answers or SIGTERM/SIGINT asks to stop. They never exit because a
 * dependency is not there yet; once running, each client reconnects by itself.
 */
import pRetry from 'p-retry';
import { logger } from '../logger.ts';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export async function waitForDependency<T>(what: string, attempt: () => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error(`stopped while waiting for ${what}`));
  for (const s of SIGNALS) process.once(s, onSignal);
  try {
    return await pRetry(attempt, {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: 1_000,
      maxTimeout: 30_000,
      signal: abort.signal,
      onFailedAttempt: ({ error, attemptNumber, retryDelay }) => {
        logger.warn({ dependency: what, attempt: attemptNumber, retryInMs: retryDelay, err: error.message }, `waiting for ${what}`);
      },
    });
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
  }
}
