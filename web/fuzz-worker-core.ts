// What one fuzzing Web Worker does with the page's requests
// (web/fuzz-protocol.ts), apart from the worker's global scope so that
// Node tests can run the same code in-process: hold the Campaigns it is
// asked to prepare (its own CPUs, one per kernel profile), run the blocks
// of schedules it is sent, shrink and explain a failure, explain one
// schedule. A shrink gives the event loop a turn every few tens of
// milliseconds so that a Stop can reach it (a Web Worker cannot share
// memory with a page that is not cross-origin isolated, so a message is
// the only way in); a block of schedules is short and runs straight.

import type { Cpu } from '../emulator/api.js';
import { Campaign } from '../fuzz/campaign.js';
import { explain } from '../fuzz/explain.js';
import { judge } from '../fuzz/judge.js';
import { Runner, type FuzzTarget } from '../fuzz/runner.js';
import { decodeSchedule } from '../fuzz/schedule.js';
import type { FromFuzzWorker, ToFuzzWorker } from './fuzz-protocol.js';
import { wallMs } from './wall-clock.js';

/** How long a shrink runs before it lets a message in. */
const SHRINK_SLICE_MS = 30;

/** A turn of the event loop (a message may arrive). */
const yieldTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

interface Held {
  campaign: Promise<Campaign>;
  /** The smallest failing k the page told of (schedules after it need not run). */
  limit: number;
}

/** Handles one worker's requests; `post` sends the answers; `loadCpu` makes a CPU from the page's wasm URL. */
export function fuzzWorkerCore(post: (m: FromFuzzWorker) => void, loadCpu: (wasm: string) => Promise<Cpu>): (m: ToFuzzWorker) => void {
  const campaigns = new Map<number, Held>();
  /** Shrinks the page asked to stop (request numbers). */
  const stopped = new Set<number>();

  const held = (campaign: number): Held => {
    const h = campaigns.get(campaign);
    if (!h) throw new Error(`campaign ${campaign} is not prepared in this worker`);
    return h;
  };

  const shrinkAndExplain = async (job: number, c: Campaign, k: number) => {
    const steps = c.failureSteps(k);
    let slice = wallMs();
    for (let r = steps.next(false); ; r = steps.next(stopped.has(job))) {
      if (r.done) return r.value;
      if (wallMs() - slice >= SHRINK_SLICE_MS) {
        await yieldTurn();
        slice = wallMs();
      }
    }
  };

  const answer = async (m: ToFuzzWorker): Promise<FromFuzzWorker | undefined> => {
    switch (m.type) {
      case 'campaign': {
        const kernels = m.spec.kernels ?? [m.spec.target.kernel];
        const campaign = Promise.all(kernels.map(() => loadCpu(m.wasm))).then((cpus) => Campaign.create(m.spec, cpus));
        campaigns.set(m.campaign, { campaign, limit: Infinity });
        return { job: m.job, type: 'ready', header: (await campaign).header };
      }
      case 'chunk': {
        const h = held(m.campaign);
        const c = await h.campaign;
        return { job: m.job, type: 'chunk', result: c.runChunk(m.chunk, (k) => k > h.limit) };
      }
      case 'limit': {
        const h = campaigns.get(m.campaign);
        if (h) h.limit = Math.min(h.limit, m.k);
        return undefined;
      }
      case 'failure': {
        const c = await held(m.campaign).campaign;
        try {
          return { job: m.job, type: 'failure', failure: await shrinkAndExplain(m.job, c, m.k) };
        } finally {
          stopped.delete(m.job);
        }
      }
      case 'stop':
        stopped.add(m.job);
        return undefined;
      case 'end':
        campaigns.delete(m.campaign);
        return undefined;
      case 'explain':
        return explainSchedule(m.job, m.target, m.schedule, await loadCpu(m.wasm));
    }
  };

  return (m) => {
    answer(m).then((reply) => reply && post(reply), (err: unknown) => {
      post({ job: m.job, type: 'error', message: err instanceof Error ? err.message : String(err) });
    });
  };
}

function explainSchedule(job: number, target: FuzzTarget, code: string, cpu: Cpu): FromFuzzWorker {
  const schedule = decodeSchedule(code);
  const runner = Runner.create(target, cpu);
  const out = runner.run(schedule);
  const f = judge(out);
  return { job, type: 'explained', failure: f?.summary, explanation: f ? explain(runner, schedule, out, f) : [`schedule ${code}: no failure`], traceHash: out.traceHash };
}
