/**
 * The services (and tools) a test file needs. Outside CI a test file without them skips; with
 * CI=true a missing one fails the file instead: CI must run these tests, never silently skip them.
 */
import { existsSync } from 'node:fs';

const CI = process.env.CI === 'true';

/** True when the tests cannot run here (never in CI: there it throws, naming what is missing). */
export function missingServices(names: readonly string[], what: string): boolean {
  const missing = names.filter((n) => !process.env[n]);
  if (missing.length > 0 && CI) throw new Error(`${missing.join(', ')} must be set when CI=true: ${what} are mandatory in CI (scripts/services.sh)`);
  return missing.length > 0;
}

/** Debian's Chromium, driven by playwright-core (scripts/services.sh installs it). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function missingChromium(): boolean {
  const missing = !existsSync(CHROMIUM);
  if (missing && CI) throw new Error(`${CHROMIUM} is missing with CI=true: the browser tests are mandatory in CI (apt-get install -y chromium)`);
  return missing;
}
