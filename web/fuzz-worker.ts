// One of the page's fuzzing Web Workers (bundled as
// build/web/fuzz-worker.js), so the page stays responsive: the glue
// between the worker's global scope and web/fuzz-worker-core.ts, which
// holds Campaigns (the same as `rseqlab fuzz`'s, fuzz/campaign.ts) and
// runs what the page sends (web/fuzz-protocol.ts). The page keeps its
// workers for all its jobs (their compiled CPU gets faster as the engine
// optimises it).

import { createCpu } from '../emulator/index.js';
import type { FromFuzzWorker, ToFuzzWorker } from './fuzz-protocol.js';
import { fuzzWorkerCore } from './fuzz-worker-core.js';

/** The worker's global scope, as far as this file uses it (the page's tsconfig has the DOM's types, not the worker's). */
const scope = globalThis as unknown as {
  postMessage(m: FromFuzzWorker): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<ToFuzzWorker>) => void): void;
};

const handle = fuzzWorkerCore((m) => scope.postMessage(m), (wasm) => createCpu(new URL(wasm)));
scope.addEventListener('message', (e) => handle(e.data));
