#!/usr/bin/env node
// The cv-pipeline command line: runs the build in dist/ (`npm run build`). In a checkout that was
// never built it runs the TypeScript sources through tsx (a dev dependency), slower to start, and
// says so, so `npx cv-pipeline` works right after `npm ci` too.
import { existsSync } from 'node:fs';

// kafkajs 2.2.4 passes setTimeout a negative delay (tulios/kafkajs#1751); Node >= 24 warns on every
// Kafka connection, then uses 1 ms, which is what kafkajs means. Only that warning is dropped.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  if (type !== 'TimeoutNegativeWarning') emitWarning.call(process, warning, ...rest);
};

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
