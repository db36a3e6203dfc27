import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { createProgress, formatDuration, formatRate, withProgress } from '../../src/cli/progress.ts';
import { logger } from '../../src/logger.ts';

/** A stand-in for process.stderr that keeps what is written. */
function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, columns: 100, chunks, write: (s: string) => chunks.push(s), text: () => chunks.join('') };
}

/** The live line's last state: what follows the last carriage movement, without escape codes. */
function lastLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/\x1b\[\d*G/g, '\r').replace(/\x1b(\[[\d;?]*[A-Za-z]|[78])/g, '');
  const lines = plain.split(/[\r\n]/).filter((l) => l.trim() !== '');
  return lines[lines.length - 1] ?? '';
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-11-01T00:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('progress where stderr is a terminal', () => {
  it('draws at once, before the first batch, then count, percentage, rate and ETA', () => {
    const stream = fakeStream(true);
    const stdout = vi.spyOn(process.stdout, 'write');
    const progress = createProgress({ label: 'run', unit: 'profiles', stream });
    expect(progress.mode).toBe('tty');
    progress.phase('loading model');
    expect(lastLine(stream.text())).toBe('run: loading model… 0s');
    vi.advanceTimersByTime(2000);
    progress.start(390);
    vi.advanceTimersByTime(200);
    expect(lastLine(stream.text())).toMatch(/^run \[░+\] 0% \| 0\/390 profiles \| 2s$/);
    vi.advanceTimersByTime(9_800);
    progress.update(130);
    vi.advanceTimersByTime(200);
    // 130 in 10 s: 13/s, 260 left: 20 s, counting down between updates.
    expect(lastLine(stream.text())).toMatch(/^run \[█+░+\] 33% \| 130\/390 profiles \| 13\/s \| ETA 20s \| 12s$/);
    vi.advanceTimersByTime(5_000);
    expect(lastLine(stream.text())).toMatch(/\| 130\/390 profiles \| 13\/s \| ETA 15s \| 17s$/);
    progress.update(390);
    progress.stop();
    expect(lastLine(stream.text())).toMatch(/^run \[█+\] 100% \| 390\/390 profiles \| 2\d\/s \| took 17s$/);
    expect(stream.text().endsWith('\n')).toBe(true);
    progress.stop();
    expect(stdout).not.toHaveBeenCalled();
  });

  it('shows with --json too (stdout is untouched), and not with --no-progress', () => {
    expect(createProgress({ label: 'run', unit: 'profiles', stream: fakeStream(true), json: true }).mode).toBe('tty');
    const stream = fakeStream(true);
    const progress = createProgress({ label: 'run', unit: 'profiles', stream, enabled: false });
    expect(progress.mode).toBe('off');
    progress.start(10);
    progress.update(5);
    progress.stop();
    expect(stream.chunks).toEqual([]);
  });

  it('counts a resumed run from where it started, and a total that comes late', () => {
    const stream = fakeStream(true);
    const progress = createProgress({ label: 'backfill', unit: 'positions', stream });
    progress.start(1000, 600);
    vi.advanceTimersByTime(4_000);
    progress.update(800);
    vi.advanceTimersByTime(200);
    expect(lastLine(stream.text())).toMatch(/ 80% \| 800\/1000 positions \| 50\/s \| ETA 4s \| 4s$/);
    progress.update(900, 2000);
    vi.advanceTimersByTime(200);
    expect(lastLine(stream.text())).toMatch(/ 45% \| 900\/2000 positions \|/);
    progress.stop();
    expect(lastLine(stream.text())).toMatch(/stopped after \d+s$/);
  });

  it('writes log lines whole above the live line, and gives the logger back', async () => {
    const stream = fakeStream(true);
    const destination = (logger as unknown as Record<symbol, { write: unknown }>)[pino.symbols.streamSym]!;
    const write = destination.write;
    await withProgress({ label: 'run', unit: 'profiles', stream }, async (progress) => {
      progress.start(10);
      // The live line takes the logger over once the logger module is loaded (here at once).
      await vi.dynamicImportSettled();
      logger.error('a log line');
      progress.update(5);
    });
    const text = stream.text();
    const log = text.indexOf('"msg":"a log line"}\n');
    expect(log).toBeGreaterThan(0);
    // The live line is cleared before the log line and drawn again after it.
    expect(text.lastIndexOf('\r\x1b[2K', log)).toBeGreaterThan(0);
    expect(text.slice(log)).toMatch(/5\/10 profiles/);
    expect(destination.write).toBe(write);
  });

  it('stops even when the work fails', async () => {
    const stream = fakeStream(true);
    await expect(
      withProgress({ label: 'run', unit: 'profiles', stream }, async (progress) => {
        progress.start(10);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(lastLine(stream.text())).toMatch(/0\/10 profiles \| stopped after 0s$/);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('progress where stderr is not a terminal', () => {
  it('prints nothing for a run shorter than the interval', () => {
    const stream = fakeStream(false);
    const progress = createProgress({ label: 'run', unit: 'profiles', stream });
    expect(progress.mode).toBe('plain');
    progress.phase('loading model');
    progress.start(50);
    for (let i = 1; i <= 50; i++) {
      vi.advanceTimersByTime(150);
      progress.update(i);
    }
    progress.stop();
    expect(stream.chunks).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('prints one plain line per interval, however many updates, and a last one', () => {
    const stream = fakeStream(false);
    const progress = createProgress({ label: 'run', unit: 'profiles', stream });
    progress.start(5000);
    for (let i = 1; i <= 160; i++) {
      vi.advanceTimersByTime(100);
      progress.update(i * 25);
    }
    // 16 s: one line at 10 s (before that moment's update), none for the 160 updates.
    expect(stream.chunks).toEqual(['run: 2475/5000 profiles (49%), 250/s, ETA 10s, 10s elapsed\n']);
    vi.advanceTimersByTime(10_000);
    expect(stream.chunks[1]).toBe('run: 4000/5000 profiles (80%), 250/s, ETA 0s, 20s elapsed\n');
    progress.update(5000);
    progress.stop();
    expect(stream.chunks).toHaveLength(3);
    expect(stream.chunks[2]).toBe('run: 5000/5000 profiles (100%), 192/s, took 26s\n');
    expect(stream.text()).not.toMatch(/\x1b/);
  });

  it('names the step it is in while nothing is counted yet', () => {
    const stream = fakeStream(false);
    const progress = createProgress({ label: 'backfill', unit: 'positions', stream });
    progress.phase('finding positions to re-score');
    vi.advanceTimersByTime(10_000);
    expect(stream.chunks).toEqual(['backfill: finding positions to re-score…, 10s elapsed\n']);
    progress.stop();
    expect(stream.chunks).toHaveLength(1);
  });

  it('stays silent with --json and with --no-progress', () => {
    for (const options of [{ json: true }, { enabled: false }]) {
      const stream = fakeStream(false);
      const progress = createProgress({ label: 'run', unit: 'profiles', stream, ...options });
      expect(progress.mode).toBe('off');
      progress.start(10);
      vi.advanceTimersByTime(60_000);
      progress.stop();
      expect(stream.chunks).toEqual([]);
    }
  });
});

describe('progress numbers', () => {
  it('formats rates and durations', () => {
    expect([0.42, 9.84, 10.4, 310.6, 12500].map(formatRate)).toEqual(['0.4', '9.8', '10', '311', '12500']);
    expect(formatDuration(7.4)).toBe('7s');
    expect(formatDuration(0.2, 'up')).toBe('1s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(3725)).toBe('1h02m');
  });
});
