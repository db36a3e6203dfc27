/**
 * What a test file needs beyond the repository: services, a browser, the dataset, the sentence
 * encoder. Outside CI a file without them skips its tests and prints why; with CI=true a missing one
 * fails the file instead: CI must run these tests, never silently skip them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultEncoderDir } from '../../src/classify/encoder.ts';

const CI = process.env.CI === 'true';

/** True when `what` cannot run here: prints the reason, or (CI=true) throws it. */
function missing(absent: string | null, what: string, remedy: string): boolean {
  if (absent === null) return false;
  if (CI) throw new Error(`${absent} with CI=true: ${what} are mandatory in CI (${remedy})`);
  console.warn(`skipped: ${what}, because ${absent} (${remedy})`);
  return true;
}

/** True when the tests cannot run here (never in CI: there it throws, naming what is missing). */
export function missingServices(names: readonly string[], what: string): boolean {
  const absent = names.filter((n) => !process.env[n]);
  return missing(absent.length > 0 ? `${absent.join(', ')} not set` : null, what, 'bash scripts/services.sh start && source .data/services.env');
}

/** Debian's Chromium, driven by playwright-core (scripts/services.sh installs it). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function missingChromium(): boolean {
  return missing(existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing`, 'the browser tests', 'apt-get install -y chromium');
}

/** The folder of the dataset files (CV_DATA_DIR), or null where the tests that read it skip. */
export function datasetDir(what: string): string | null {
  const dir = process.env.CV_DATA_DIR;
  return missing(dir ? null : 'CV_DATA_DIR is not set', what, 'CV_DATA_DIR=/path/to/data npm test') ? null : dir!;
}

/** The sentence encoder, installed by `npm run models:encoder` (models/encoder, not in git). */
export const encoderInstalled = existsSync(join(defaultEncoderDir(), 'encoder.json'));

/** The static table distilled from it by the same command (models/encoder/static). */
export function missingStaticTable(what: string): boolean {
  const installed = existsSync(join(defaultEncoderDir(), 'static', 'static.json'));
  return missing(installed ? null : `the static table is not in ${defaultEncoderDir()}/static`, what, 'npm run models:encoder');
}

export function missingEncoder(what: string): boolean {
  return missing(encoderInstalled ? null : `the sentence encoder is not in ${defaultEncoderDir()}`, what, 'npm run models:encoder');
}

/** A command's stderr without the warning it logs where the sentence encoder is absent. */
export function withoutEncoderWarning(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !line.includes('"msg":"scoring without the sentence encoder'))
    .join('\n');
}
