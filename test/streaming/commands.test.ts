/** The streaming commands as a user meets them: documented, and clear when misconfigured. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const STREAMING_VARS = ['KAFKA_BROKERS', 'REDIS_URL', 'DATABASE_URL'];

async function cli(args: string[], env: Record<string, string> = {}) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !STREAMING_VARS.includes(k)));
  try {
    const { stdout, stderr } = await run('node', ['bin/cv-pipeline.js', ...args], { cwd: root, env: { ...base, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the streaming commands', () => {
  it('documents consume, work and produce in --help', async () => {
    const commands = ['consume', 'work', 'produce'];
    const results = await Promise.all(commands.map((command) => cli([command, '--help'])));
    results.forEach(({ code, stdout }, i) => {
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Usage: cv-pipeline ${commands[i]}`));
    });
  });

  it('work refuses to start without Redis and Postgres, naming both variables', async () => {
    const { code, stderr } = await cli(['work']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^cv-pipeline: `work` needs REDIS_URL \(.*\) and DATABASE_URL \(.*\)\n$/);
  });

  it('consume names a malformed variable before connecting to anything', async () => {
    const { code, stderr } = await cli(['consume'], { KAFKA_BROKERS: 'kafka', REDIS_URL: 'redis://127.0.0.1:1' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/invalid environment: KAFKA_BROKERS: must be host:port/);
  });

  it('produce asks for either a file or a synthetic count', async () => {
    const { code, stderr } = await cli(['produce'], { KAFKA_BROKERS: '127.0.0.1:1' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/give either --input FILE or --synthetic N/);
  });
});
