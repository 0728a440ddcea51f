// The page's fuzzer, in a Web Worker (bundled as build/web/fuzz-worker.js)
// so the page stays responsive: the same Campaign as `rseqlab fuzz`
// (fuzz/campaign.ts: profile once, fork every schedule from the start-up
// snapshot, shrink and explain the first failure), driven in blocks, with
// the progress posted as it goes. Between blocks the worker gives its
// event loop a turn, so a Stop message is seen within one block (and an
// explanation asked for meanwhile runs then). It also explains one
// schedule (what `rseqlab replay` prints) for runs the page opens from a
// replay file or a link. The page keeps the worker for all its jobs.

import { createCpu } from '../emulator/index.js';
import { Campaign, driveCampaign, failingSchedule, mergeCampaign, type CampaignSpec, type CampaignWorker } from '../fuzz/campaign.js';
import { explain } from '../fuzz/explain.js';
import { judge } from '../fuzz/judge.js';
import { Runner, type FuzzTarget } from '../fuzz/runner.js';
import { decodeSchedule } from '../fuzz/schedule.js';
import type { FromFuzzWorker, ToFuzzWorker } from './fuzz-protocol.js';
import { wallMs } from './wall-clock.js';

/** The worker's global scope, as far as this file uses it (the page's tsconfig has the DOM's types, not the worker's). */
const scope = globalThis as unknown as {
  postMessage(m: FromFuzzWorker): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<ToFuzzWorker>) => void): void;
};
const post = (m: FromFuzzWorker) => scope.postMessage(m);

/** Schedules per block: small, so progress and Stop come often (the result does not depend on it). */
const CHUNK = 4;

/** Jobs the page asked to stop. */
const stopped = new Set<number>();

/** A turn of the event loop (a message may arrive). */
const yieldTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function runCampaign(job: number, spec: CampaignSpec, wasm: URL): Promise<void> {
  const campaign = await Campaign.create(spec, [await createCpu(wasm)]);
  post({ job, type: 'started', schedules: spec.schedules ?? 2000, staticFindings: campaign.header.staticFindings });
  let limit = Infinity;
  const worker: CampaignWorker = {
    runChunk: async (chunk) => {
      await yieldTurn();
      return campaign.runChunk(chunk, (k) => stopped.has(job) || k > limit);
    },
    limit: (k) => void (limit = Math.min(limit, k)),
  };
  const began = wallMs();
  // Stop is a time limit that has arrived: the campaign's own way to stop starting schedules.
  const now = () => (stopped.has(job) ? Infinity : wallMs());
  const drive = await driveCampaign(spec, campaign.header, [worker], {
    timeMs: Infinity,
    now,
    chunkSize: CHUNK,
    onProgress: (progress) => post({ job, type: 'progress', progress }),
  });
  const ms = wallMs() - began;
  const k = failingSchedule(campaign.header, drive.chunks);
  if (k !== undefined) post({ job, type: 'shrinking', k });
  const result = mergeCampaign(spec, campaign.header, drive, k !== undefined ? campaign.failureAt(k) : undefined);
  post({ job, type: 'done', result, stopped: stopped.has(job) && !result.failure, ms });
  stopped.delete(job);
}

function explainSchedule(job: number, target: FuzzTarget, code: string, cpu: Awaited<ReturnType<typeof createCpu>>): FromFuzzWorker {
  const schedule = decodeSchedule(code);
  const runner = Runner.create(target, cpu);
  const out = runner.run(schedule);
  const f = judge(out);
  return { job, type: 'explained', failure: f?.summary, explanation: f ? explain(runner, schedule, out, f) : [`schedule ${code}: no failure`], traceHash: out.traceHash };
}

scope.addEventListener('message', (e) => {
  const m = e.data;
  if (m.type === 'stop') {
    stopped.add(m.job);
    return;
  }
  const work = m.type === 'fuzz'
    ? runCampaign(m.job, m.spec, new URL(m.wasm))
    : createCpu(new URL(m.wasm)).then((cpu) => post(explainSchedule(m.job, m.target, m.schedule, cpu)));
  work.catch((err: unknown) => {
    stopped.delete(m.job);
    post({ job: m.job, type: 'error', message: err instanceof Error ? err.message : String(err) });
  });
});
