// One fuzzing worker as the page's side sees it (web/page-campaign.ts):
// requests numbered, each answered once (web/fuzz-protocol.ts). The
// transport is given: a Web Worker's postMessage on the page
// (web/fuzz-pool.ts), or web/fuzz-worker-core.ts called in-process in
// Node tests.

import type { FromFuzzWorker, FuzzRequest, ToFuzzWorker } from './fuzz-protocol.js';

export class FuzzWorkerLink {
  private readonly pending = new Map<number, { resolve: (m: FromFuzzWorker) => void; reject: (e: Error) => void }>();
  private nextJob = 1;

  constructor(private readonly send: (m: ToFuzzWorker) => void) {}

  /** Sends a request; `answer` is its reply ('error' replies reject). */
  ask(m: FuzzRequest): { job: number; answer: Promise<FromFuzzWorker> } {
    const job = this.nextJob++;
    const answer = new Promise<FromFuzzWorker>((resolve, reject) => this.pending.set(job, { resolve, reject }));
    this.send({ ...m, job });
    return { job, answer };
  }

  /** Sends a message that has no reply (for 'stop': `job` is the request to stop). */
  tell(m: FuzzRequest, job = 0): void {
    this.send({ ...m, job });
  }

  /** A reply from the worker. */
  receive(m: FromFuzzWorker): void {
    const p = this.pending.get(m.job);
    if (!p) return;
    this.pending.delete(m.job);
    if (m.type === 'error') p.reject(new Error(m.message));
    else p.resolve(m);
  }

  /** The worker is gone: every request waiting fails with this. */
  fail(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

/** The reply of the expected type (a worker answering otherwise is a bug). */
export async function replyOf<T extends FromFuzzWorker['type']>(answer: Promise<FromFuzzWorker>, type: T): Promise<Extract<FromFuzzWorker, { type: T }>> {
  const m = await answer;
  if (m.type !== type) throw new Error(`the fuzzing worker answered '${m.type}' where '${type}' was due`);
  return m as Extract<FromFuzzWorker, { type: T }>;
}
