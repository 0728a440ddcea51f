// One fuzzing worker thread (node:worker_threads): holds a Campaign (its
// own CPUs and runners, from the start-up snapshot) and runs the blocks of
// schedules the main thread sends it. cli/fuzz-workers.ts is the other
// side; the messages are plain data (fuzz/campaign.ts's ChunkSpec,
// ChunkResult, CampaignHeader, FuzzFailure).

import { parentPort, workerData } from 'node:worker_threads';
import { createCpu } from '../emulator/index.js';
import { Campaign, type CampaignSpec, type ChunkSpec } from '../fuzz/campaign.js';

export interface WorkerInit {
  spec: CampaignSpec;
  /** Int32Array over a SharedArrayBuffer: [0] is the smallest failing k known (schedules after it need not run). */
  limit: SharedArrayBuffer;
}

/** A block of schedules, with the Date.now() after which no schedule of it starts (a --time limit) or null. */
export type WorkerCommand = { type: 'chunk'; chunk: ChunkSpec; deadline: number | null } | { type: 'failure'; k: number };
export type WorkerRequest = WorkerCommand & { id: number };

const port = parentPort;
if (!port) throw new Error('cli/fuzz-worker.ts runs as a worker thread');
const init = workerData as WorkerInit;
const limit = new Int32Array(init.limit);

const fail = (id: number, e: unknown) => port.postMessage({ id, type: 'error', message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined });

// Listen first, then prepare: the listening port keeps this thread's event
// loop alive while the CPU is compiled and instantiated (without it a worker
// sometimes waited forever on WebAssembly.instantiate); requests wait for
// the campaign.
const ready = (async () => {
  const kernels = init.spec.kernels ?? [init.spec.target.kernel];
  return Campaign.create(init.spec, await Promise.all(kernels.map(() => createCpu())));
})();

port.on('message', async (m: WorkerRequest) => {
  try {
    const campaign = await ready;
    if (m.type === 'chunk') {
      const deadline = m.deadline;
      const stop = (k: number) => k > Atomics.load(limit, 0) || (deadline !== null && Date.now() >= deadline);
      port.postMessage({ id: m.id, type: 'chunk', result: campaign.runChunk(m.chunk, stop) });
    } else {
      port.postMessage({ id: m.id, type: 'failure', failure: campaign.failureAt(m.k) });
    }
  } catch (e) {
    fail(m.id, e);
  }
});

ready.then((c) => port.postMessage({ id: 0, type: 'ready', header: c.header }), (e) => fail(0, e));
