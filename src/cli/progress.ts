/**
 * Progress of the long commands (`run`, `classify --csv`, `evaluate`, `backfill`), on stderr only:
 * stdout carries the `--json` and CSV output and is byte-identical with or without progress.
 *
 * Where it shows, decided once per command:
 * - stderr is a terminal: one live line (cli-progress), drawn at once, whatever the input's size
 *   ("run: loading model… 1s", then "run [░░░░] 0% | 0/390 profiles | 2s") and redrawn up to 10
 *   times a second: count/total, percentage, rate, ETA and elapsed time. Between two updates (one
 *   per scored chunk or committed batch) the ETA counts down, so a long chunk does not look frozen.
 *   With `--json` too: stdout is untouched, and a person is watching the terminal. Log lines
 *   written meanwhile (the process logger also writes to stderr) go above the live line, whole.
 * - stderr is not a terminal (CI logs, pipes, files): no bar and no escape codes. A command that
 *   ends within 10 s prints nothing; a longer one prints a plain line every 10 s, whether or not the
 *   count moved (a heartbeat for CI timeouts), e.g.
 *   `run: 1200/5000 profiles (24%), 310/s, ETA 12s, 4s elapsed`, and a last one when it ends.
 *   Not with `--json`: the caller is a program, and stderr is then the JSON log alone.
 * - `--no-progress`: nothing at all.
 */
import { createRequire } from 'node:module';
import type { Params, SingleBar } from 'cli-progress';

// cli-progress, pino and the logger load only when a live line is drawn: importing this module
// costs `--help` and argument errors nothing.
const requireCjs = createRequire(import.meta.url);

/** The stream progress is written to (process.stderr; a fake one in tests). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** The command, first word of every line: `run`, `backfill`. */
  label: string;
  /** What is counted: `profiles`, `rows`, `positions`. */
  unit: string;
  /** false (`--no-progress`): shows nothing. */
  enabled?: boolean;
  /** `--json`: no plain lines where stderr is not a terminal (the live line still shows on one). */
  json?: boolean;
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Period of the plain lines (default 10 s). */
  plainIntervalMs?: number;
}

export interface Progress {
  /** `tty`: live line; `plain`: occasional lines; `off`: nothing. */
  readonly mode: 'tty' | 'plain' | 'off';
  /** A step before counting starts, shown with the elapsed time: "loading model". */
  phase(text: string): void;
  /** Counting starts: `done` (a resumed run: above 0) of `total` (null: not known). Rate and ETA count from here. */
  start(total: number | null, done?: number): void;
  /** `done` items are done (a count, not an increment); a new total may come with it. */
  update(done: number, total?: number | null): void;
  /** Ends the display with a final line; idempotent. Call it in a `finally`. */
  stop(): void;
}

/** Plain lines where stderr is not a terminal: at most one per this period. */
const PLAIN_INTERVAL_MS = 10_000;

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.enabled === false) return offProgress;
  if (stream.isTTY) return new TtyProgress(options.label, options.unit, stream);
  if (options.json) return offProgress;
  return new PlainProgress(options.label, options.unit, stream, options.plainIntervalMs ?? PLAIN_INTERVAL_MS);
}

/**
 * Runs `work` with a progress display and always stops it, so the last state stays on screen above
 * the result or the error message.
 */
export async function withProgress<T>(options: ProgressOptions, work: (progress: Progress) => Promise<T>): Promise<T> {
  const progress = createProgress(options);
  try {
    return await work(progress);
  } finally {
    progress.stop();
  }
}

const offProgress: Progress = { mode: 'off', phase() {}, start() {}, update() {}, stop() {} };

/** What both displays show: counts, rate and ETA, from the updates and the clock. */
class ProgressState {
  readonly createdAt = Date.now();
  phaseText: string | null = null;
  total: number | null = null;
  done = 0;
  /** Where counting started (resumed runs start above zero) and when: the rate is measured from here. */
  private base = 0;
  private countingSince: number | null = null;
  private lastUpdateAt = 0;
  /** Items per second, from the start of counting to the last update; null until something is done. */
  rate: number | null = null;
  stopped = false;

  constructor(
    readonly label: string,
    readonly unit: string,
  ) {}

  get counting(): boolean {
    return this.countingSince !== null;
  }

  phase(text: string): void {
    this.phaseText = text;
  }

  start(total: number | null, done: number): void {
    this.phaseText = null;
    this.total = total;
    this.done = done;
    this.base = done;
    this.countingSince = Date.now();
    this.lastUpdateAt = this.countingSince;
    this.rate = null;
  }

  update(done: number, total: number | null | undefined): void {
    if (!this.counting) this.start(total ?? null, 0);
    if (total !== undefined) this.total = total;
    this.done = done;
    this.lastUpdateAt = Date.now();
    const seconds = (this.lastUpdateAt - this.countingSince!) / 1000;
    this.rate = done > this.base && seconds > 0 ? (done - this.base) / seconds : null;
  }

  /** Fraction done, 0..1; null when the total is not known. */
  fraction(): number | null {
    if (this.total === null) return null;
    return this.total <= 0 ? 1 : Math.min(1, this.done / this.total);
  }

  /** Seconds left: at the last update's rate, minus the time since that update (it counts down). */
  etaSeconds(now = Date.now()): number | null {
    if (this.total === null || this.rate === null) return null;
    const left = Math.max(0, this.total - this.done);
    return Math.max(0, left / this.rate - (now - this.lastUpdateAt) / 1000);
  }

  elapsedSeconds(now = Date.now()): number {
    return (now - this.createdAt) / 1000;
  }

  /** The pieces after the count: rate, ETA (or how it ended), elapsed time. */
  tail(elapsedWord: string, now = Date.now()): string[] {
    const parts: string[] = [];
    if (this.rate !== null) parts.push(`${formatRate(this.rate)}/s`);
    const complete = this.total !== null && this.done >= this.total;
    if (this.stopped) {
      parts.push(complete ? `took ${formatDuration(this.elapsedSeconds(now))}` : `stopped after ${formatDuration(this.elapsedSeconds(now))}`);
      return parts;
    }
    const eta = this.etaSeconds(now);
    if (complete) parts.push('finishing');
    else if (eta !== null) parts.push(`ETA ${formatDuration(eta, 'up')}`);
    parts.push(`${formatDuration(this.elapsedSeconds(now))}${elapsedWord}`);
    return parts;
  }

  /** `164/390 profiles (42%)`, or `164 profiles` without a total. */
  count(withPercent: boolean): string {
    const fraction = this.fraction();
    if (this.total === null || fraction === null) return `${this.done} ${this.unit}`;
    return `${this.done}/${this.total} ${this.unit}${withPercent ? ` (${Math.floor(fraction * 100)}%)` : ''}`;
  }

  /** A plain line, e.g. `run: 1200/5000 profiles (24%), 310/s, ETA 12s, 4s elapsed`. */
  plainLine(now = Date.now()): string {
    if (!this.counting) return `${this.label}: ${this.phaseText ?? 'starting'}…, ${formatDuration(this.elapsedSeconds(now))} elapsed`;
    return `${this.label}: ${[this.count(true), ...this.tail(' elapsed', now)].join(', ')}`;
  }
}

/** The live line on a terminal, drawn by cli-progress (cursor handling, width, redraw timer). */
class TtyProgress implements Progress {
  readonly mode = 'tty';
  private readonly state: ProgressState;
  private readonly bar: SingleBar;
  private started = false;
  private restoreLogger: (() => void) | null = null;

  constructor(
    label: string,
    unit: string,
    private readonly stream: ProgressStream,
  ) {
    this.state = new ProgressState(label, unit);
    const { SingleBar } = requireCjs('cli-progress') as typeof import('cli-progress');
    this.bar = new SingleBar({
      stream: stream as NodeJS.WritableStream,
      format: (_options, params) => this.line(params.maxWidth),
      fps: 10,
      // Redrawn on every tick, changed or not: the line comes back at once after a log line.
      forceRedraw: true,
      // Lines are cut to the terminal's width instead of switching wrapping off: a Ctrl-C never
      // leaves the terminal without line wrapping.
      linewrap: true,
      hideCursor: false,
    });
  }

  /**
   * While the line shows, the logger's lines are written through this stream: the live line is
   * cleared first and redrawn below the log line. (The logger writes to file descriptor 2 on its
   * own, asynchronously, which would glue its lines to the end of the live line.)
   */
  private async interceptLogger(): Promise<void> {
    // Already loaded by the command in practice (the classifier logs), so this resolves at once.
    const [{ logger }, { pino }] = await Promise.all([import('../logger.ts'), import('pino')]);
    if (this.state.stopped) return;
    const destination = (logger as unknown as Record<symbol, { write(chunk: string): boolean } | undefined>)[pino.symbols.streamSym];
    if (!destination || typeof destination.write !== 'function') return;
    const own = Object.prototype.hasOwnProperty.call(destination, 'write');
    const original = destination.write;
    destination.write = (chunk: string) => {
      // Clear the live line, write the log line, then save the cursor (cli-progress restores it on
      // stop: it must be this new line, not the one where the live line started) and redraw.
      this.stream.write('\r\x1b[2K');
      this.stream.write(chunk);
      this.stream.write('\x1b7');
      this.bar.render();
      return true;
    };
    this.restoreLogger = () => {
      if (own) destination.write = original;
      else delete (destination as { write?: unknown }).write;
    };
  }

  /** `run [█████░░░░░] 42% | 164/390 profiles | 9.8/s | ETA 23s | 17s`, the bar as wide as the terminal allows. */
  private line(width: Params['maxWidth']): string {
    const s = this.state;
    if (!s.counting) return `${s.label}: ${s.phaseText ?? 'starting'}… ${formatDuration(s.elapsedSeconds())}`;
    const rest = [s.count(false), ...s.tail('')].join(' | ');
    const fraction = s.fraction();
    if (fraction === null) return `${s.label} | ${rest}`;
    const percentage = `${Math.floor(fraction * 100)}%`;
    // Room left on the line (cli-progress cuts what is longer than the terminal), up to 30 cells.
    const size = Math.min(30, width - `${s.label} [] ${percentage} | ${rest}`.length - 2);
    if (size < 5) return `${s.label} ${percentage} | ${rest}`;
    const full = Math.round(fraction * size);
    return `${s.label} [${'\u2588'.repeat(full)}${'\u2591'.repeat(size - full)}] ${percentage} | ${rest}`;
  }

  private draw(): void {
    if (this.state.stopped) return;
    if (!this.started) {
      this.started = true;
      this.bar.start(1, 0);
      void this.interceptLogger().catch(() => {});
    } else {
      this.bar.update(0);
    }
  }

  phase(text: string): void {
    this.state.phase(text);
    this.draw();
  }

  start(total: number | null, done = 0): void {
    this.state.start(total, done);
    this.draw();
  }

  update(done: number, total?: number | null): void {
    this.state.update(done, total);
    this.draw();
  }

  stop(): void {
    if (this.state.stopped) return;
    this.state.stopped = true;
    // The final render, then a newline: the last state stays above what the command prints next.
    if (this.started) this.bar.stop();
    this.restoreLogger?.();
    this.restoreLogger = null;
  }
}

/** Occasional plain lines where stderr is not a terminal: a timer, never one line per update. */
class PlainProgress implements Progress {
  readonly mode = 'plain';
  private readonly state: ProgressState;
  private readonly timer: NodeJS.Timeout;
  private printed = false;

  constructor(
    label: string,
    unit: string,
    private readonly stream: ProgressStream,
    intervalMs: number,
  ) {
    this.state = new ProgressState(label, unit);
    this.timer = setInterval(() => this.print(), intervalMs);
    // Progress never keeps the process alive.
    this.timer.unref();
  }

  private print(): void {
    this.printed = true;
    this.stream.write(`${this.state.plainLine()}\n`);
  }

  phase(text: string): void {
    this.state.phase(text);
  }

  start(total: number | null, done = 0): void {
    this.state.start(total, done);
  }

  update(done: number, total?: number | null): void {
    this.state.update(done, total);
  }

  stop(): void {
    if (this.state.stopped) return;
    this.state.stopped = true;
    clearInterval(this.timer);
    // A command that printed progress says how it ended; a short one stays silent.
    if (this.printed && this.state.counting) this.print();
  }
}

/** `0.4`, `9.8`, `310`, `12500`. */
export function formatRate(perSecond: number): string {
  return perSecond < 10 ? perSecond.toFixed(1) : String(Math.round(perSecond));
}

/** `7s`, `3m05s`, `1h02m`; `round: 'up'` for what is left (an ETA never reads 0s early). */
export function formatDuration(seconds: number, round: 'near' | 'up' = 'near'): string {
  const s = round === 'up' ? Math.ceil(seconds) : Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
