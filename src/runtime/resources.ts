/**
 * What a long-running command (consume, work, serve, backfill-worker) has opened, closed once, in
 * reverse order of opening, whatever fails: when starting fails half-way, on SIGTERM/SIGINT, or
 * when a component crashes. One helper instead of a hand-written close-everything per command, so
 * none forgets a connection or closes the database before what still writes to it.
 */
import { logger } from '../logger.ts';
import { stopOnSignal } from './signals.ts';

export class Resources {
  readonly #closers: { name: string; close: () => Promise<unknown> }[] = [];
  #closing: Promise<void> | null = null;

  /** Registers `resource`, closed by `close` before everything registered earlier; returns it. */
  add<T>(name: string, resource: T, close: (resource: T) => Promise<unknown>): T {
    this.#closers.push({ name, close: () => close(resource) });
    return resource;
  }

  /** Closes everything, newest first; a close that fails is logged and the others still run. */
  closeAll(): Promise<void> {
    this.#closing ??= (async () => {
      for (const { name, close } of [...this.#closers].reverse()) {
        await close().catch((err: unknown) => logger.warn({ resource: name, err: (err as Error).message }, 'closing failed'));
      }
    })();
    return this.#closing;
  }

  /** Runs `start` (which adds what it opens); if it fails, closes everything and rethrows. */
  async starting<T>(start: () => Promise<T>): Promise<T> {
    try {
      return await start();
    } catch (err) {
      await this.closeAll();
      throw err;
    }
  }

  /** Resolves once SIGTERM or SIGINT has closed everything. */
  untilSignal(): Promise<void> {
    return stopOnSignal(() => this.closeAll());
  }
}
