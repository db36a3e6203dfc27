// Entry of a scoring worker thread. Loader hooks registered in the main thread (bin/cv-pipeline.js
// calls tsx's register()) do not reach worker threads, so the thread registers tsx itself before
// loading the TypeScript module.
import { register } from 'tsx/esm/api';

register();
await import('./scoring-thread.ts');
