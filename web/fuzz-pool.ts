// The page's fuzzing Web Workers (web/fuzz-worker.ts), started on first
// use and kept for later jobs (a worker's compiled CPU gets faster as the
// engine optimises it). A worker that dies (it could not load, or threw
// outside a request) fails its waiting requests and is replaced on the
// next use.

import { FuzzWorkerLink } from './fuzz-link.js';
import type { FromFuzzWorker } from './fuzz-protocol.js';

export class FuzzWorkerPool {
  private readonly workers: ({ worker: Worker; link: FuzzWorkerLink } | undefined)[] = [];

  constructor(private readonly url: URL) {}

  /** The first n workers' links (starting those not running). */
  take(n: number): FuzzWorkerLink[] {
    return Array.from({ length: n }, (_, i) => (this.workers[i] ??= this.start(i)).link);
  }

  private start(i: number): { worker: Worker; link: FuzzWorkerLink } {
    const worker = new Worker(this.url, { type: 'module' });
    const link = new FuzzWorkerLink((m) => worker.postMessage(m));
    worker.addEventListener('message', (e: MessageEvent<FromFuzzWorker>) => link.receive(e.data));
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      worker.terminate();
      if (this.workers[i]?.worker === worker) this.workers[i] = undefined;
      link.fail(new Error(`the fuzzing worker failed: ${e.message || 'it could not start'}`));
    });
    return { worker, link };
  }
}
