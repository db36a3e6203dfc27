#!/usr/bin/env node
// The cv-pipeline command line: runs the build in dist/ (`npm run build`). In a checkout that was
// never built it runs the TypeScript sources through tsx (a dev dependency), slower to start, and
// says so, so `npx cv-pipeline` works right after `npm ci` too.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write('cv-pipeline: dist/ is missing; run `npm run build` first\n');
    process.exit(1);
  }
  process.stderr.write('cv-pipeline: running from source (dist/ is missing; `npm run build` makes it start faster)\n');
  register();
  await import('../src/cli/main.ts');
}
