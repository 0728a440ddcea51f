// Starts cli/fuzz-worker.ts in a worker thread when rseqlab runs from its
// TypeScript sources (tests, RSEQLAB_FROM_SOURCE=1): registers tsx in this
// thread first. The bundle (dist/) starts dist/fuzz-worker.mjs directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
