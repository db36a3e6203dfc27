/**
 * Scoring on worker threads: the scoring core is CPU-bound and single-threaded, so a backfill that
 * scores on the main thread uses one core however many there are. The pool runs the same
 * classifier (the shipped one, loaded by each thread) on N threads; the caller keeps several
 * batches in flight and still commits them in order.
 */
import { availableParallelism } from 'node:os';
import { type CorrectionSet, NO_CORRECTIONS } from '../../domain/correction.ts';
import { Worker } from 'node:worker_threads';
import type { ScoredProfile } from '../../domain/prediction.ts';
import type { ProfileMessage } from '../../domain/profile.ts';
import type { ClassifierSource } from '../../classify/load-classifier.ts';

/** What each thread loads: the classifier of the process that starts the pool. */
export type ThreadOptions = ClassifierSource;

export interface ScoringRequest {
  id: number;
  profiles: ProfileMessage[];
  asOf: string;
  /** The analysts' corrections (structured clone carries the Maps). */
  corrections: CorrectionSet;
}

export type ScoringResponse = { id: number; scored: ScoredProfile[] } | { id: number; error: string };
type ThreadMessage = ScoringResponse | { ready: string } | { failed: string };

interface Thread {
  worker: Worker;
  busy: number;
}

// Built (dist/), the thread runs the compiled module; from source (tests, tsx) it runs a wrapper
// that registers tsx first, since loader hooks of the main thread do not reach worker threads.
const ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./scoring-thread.mjs', import.meta.url)
  : new URL('./scoring-thread.js', import.meta.url);

/**
 * One thread per core. The main thread only reads, serializes and commits, mostly waiting on the
 * database; measured on 2 cores (bench:backfill, 200,000 positions): 0 threads 4.5k rows/s,
 * 1 thread 5.5k, 2 threads 6.6k.
 */
export function defaultScoringThreads(): number {
  return availableParallelism();
}

export class ScoringPool {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve(s: ScoredProfile[]): void; reject(e: Error): void; thread: Thread }>();

  private constructor(
    private readonly threads: Thread[],
    readonly modelVersion: string,
  ) {
    for (const thread of threads) {
      thread.worker.on('message', (message: ThreadMessage) => {
        if (!('id' in message)) return;
        const call = this.waiting.get(message.id);
        if (!call) return;
        this.waiting.delete(message.id);
        call.thread.busy -= 1;
        if ('error' in message) call.reject(new Error(message.error));
        else call.resolve(message.scored);
      });
      // A thread that dies takes its batches with it: fail them so the backfill stops and resumes later.
      thread.worker.on('error', (err) => this.failAll(thread, err));
      thread.worker.on('exit', (code) => this.failAll(thread, new Error(`scoring thread exited with code ${code}`)));
    }
  }

  /** Starts `size` threads and waits until each has loaded the classifier (all must agree on its version). */
  static async start(size: number, options: ThreadOptions = {}): Promise<ScoringPool> {
    const threads: Thread[] = Array.from({ length: size }, () => ({ worker: new Worker(ENTRY, { workerData: options }), busy: 0 }));
    const versions = await Promise.all(
      threads.map(
        (t) =>
          new Promise<string>((resolve, reject) => {
            const onMessage = (m: ThreadMessage) => {
              if ('ready' in m) resolve(m.ready);
              else if ('failed' in m) reject(new Error(`scoring thread could not load the classifier: ${m.failed}`));
              else return;
              t.worker.off('message', onMessage);
            };
            t.worker.on('message', onMessage);
            t.worker.once('error', reject);
          }),
      ),
    ).catch(async (err: unknown) => {
      await Promise.all(threads.map((t) => t.worker.terminate()));
      throw err;
    });
    if (new Set(versions).size !== 1) {
      await Promise.all(threads.map((t) => t.worker.terminate()));
      throw new Error(`scoring threads loaded different model versions: ${[...new Set(versions)].join(', ')}`);
    }
    return new ScoringPool(threads, versions[0]!);
  }

  get size(): number {
    return this.threads.length;
  }

  /** Scores one batch on the least busy thread. */
  score(profiles: ProfileMessage[], asOf: string, corrections: CorrectionSet = NO_CORRECTIONS): Promise<ScoredProfile[]> {
    const thread = this.threads.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    thread.busy += 1;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, thread });
      thread.worker.postMessage({ id, profiles, asOf, corrections } satisfies ScoringRequest);
    });
  }

  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    for (const t of threads) t.worker.removeAllListeners('exit');
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private failAll(thread: Thread, err: Error): void {
    for (const [id, call] of this.waiting) {
      if (call.thread !== thread) continue;
      this.waiting.delete(id);
      call.reject(err);
    }
  }
}
