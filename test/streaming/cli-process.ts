/** The real `cv-pipeline` binary as a child process, for tests that must kill or signal it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { waitFor } from './services.ts';

const root = new URL('../../', import.meta.url).pathname;

export class CliProcess {
  readonly child: ChildProcess;
  /** Every stderr line (the JSON log), kept for assertions and failure messages. */
  readonly lines: string[] = [];
  /** Everything written to stdout (a command's result, e.g. `verify --json`). */
  stdout = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn('node', ['bin/cv-pipeline.js', ...args], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString('utf8');
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.lines.push(line));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Waits for a log line whose `msg` is `msg` (e.g. 'worker running'). */
  async waitForLog(msg: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(`"${msg}" in the log of ${this.child.spawnargs.slice(2).join(' ')} (log so far: ${this.lines.slice(-5).join(' | ')})`, async () => {
      if (this.child.exitCode !== null) throw new Error(`exited with ${this.child.exitCode}: ${this.lines.slice(-5).join(' | ')}`);
      return this.lines.some((l) => l.includes(`"msg":"${msg}"`));
    }, timeoutMs);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}
