// Entry of a scoring worker thread when running from source (tests, tsx; dist/ runs
// scoring-thread.js directly). Loader hooks registered in the main thread (bin/cv-pipeline.js
// calls tsx's register()) do not reach worker threads, so the thread registers tsx itself before
// loading the TypeScript module.
import { register } from 'tsx/esm/api';

register();
await import('./scoring-thread.ts');
