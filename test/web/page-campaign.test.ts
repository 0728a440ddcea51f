// The page's campaign on several fuzzing workers (web/page-campaign.ts
// driving web/fuzz-worker-core.ts, the code each Web Worker runs), here
// with the workers in-process: one, two and three workers give the result
// `rseqlab fuzz` gives (fuzz/campaign.ts's fuzz, one thread), failure and
// coverage alike, also for a kernel differential; and Stop during the
// shrink ends it early with a schedule that still fails, marked as not
// fully shrunk.

import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { fuzz, type CampaignSpec } from '../../fuzz/campaign.js';
import { judge } from '../../fuzz/judge.js';
import { Runner } from '../../fuzz/runner.js';
import { decodeSchedule } from '../../fuzz/schedule.js';
import { FuzzWorkerLink } from '../../web/fuzz-link.js';
import { kernelsOf } from '../../web/fuzz-panel.js';
import type { ToFuzzWorker } from '../../web/fuzz-protocol.js';
import { fuzzWorkerCore } from '../../web/fuzz-worker-core.js';
import { PageCampaign, type PageCampaignHooks } from '../../web/page-campaign.js';
import { fuzzTarget } from '../programs/rseq-machine.js';

/** A worker in this thread: the core a Web Worker runs, its messages passed on a later turn (as postMessage does). */
function inProcessWorker(): FuzzWorkerLink {
  let handle: (m: ToFuzzWorker) => void = () => {};
  const link = new FuzzWorkerLink((m) => setTimeout(() => handle(structuredClone(m)), 0));
  handle = fuzzWorkerCore((r) => setTimeout(() => link.receive(structuredClone(r)), 0), () => createCpu());
  return link;
}

/** The campaign on n in-process workers; `hooks` is given the campaign's Stop. */
async function onPageWorkers(spec: CampaignSpec, n: number, hooks: (stop: () => void) => PageCampaignHooks = () => ({})) {
  const c: PageCampaign = new PageCampaign(spec, 'unused: the in-process workers load the CPU from build/', hooks(() => c.stop()));
  return c.run(Array.from({ length: PageCampaign.workersFor(spec, n) }, inProcessWorker));
}

describe('the page\'s campaign on several workers', () => {
  it('a buggy program: 1, 2 and 3 workers give the CLI\'s failure, schedules and coverage', async () => {
    const spec: CampaignSpec = { target: fuzzTarget('rseq_bug_two_stores', []), seed: 1, schedules: 200 };
    const node = await fuzz({ ...spec, cpu: await createCpu() });
    expect(node.failure).toBeDefined();
    for (const n of [1, 2, 3]) {
      const end = await onPageWorkers(spec, n);
      expect(end.workers).toBe(n);
      expect(end.stopped).toBe(false);
      expect(end.result).toEqual(node);
    }
  });

  it('a kernel differential: 2 workers give what one thread gives (the profiles disagree)', async () => {
    const spec: CampaignSpec = { target: fuzzTarget('rseq_cpu_id_start', []), kernels: ['6.19', '7.0'], seed: 1, schedules: 50 };
    const node = await fuzz({ ...spec, cpu: await createCpu(), newCpu: () => createCpu() });
    expect(node.failure?.difference).toBeDefined();
    expect((await onPageWorkers(spec, 2)).result).toEqual(node);
  });

  it('a correct program: no failure, every schedule run, the same coverage on 1 and 2 workers', async () => {
    const spec: CampaignSpec = { target: fuzzTarget('rseq_counter', ['2', '50']), seed: 1, schedules: 24 };
    const node = await fuzz({ ...spec, cpu: await createCpu() });
    expect(node.failure).toBeUndefined();
    expect(node.schedules).toBe(24);
    for (const n of [1, 2]) expect((await onPageWorkers(spec, n)).result).toEqual(node);
  });

  it('Stop while shrinking: the shrink ends early with a schedule that still fails the same way, not fully shrunk', async () => {
    const spec: CampaignSpec = { target: fuzzTarget('rseq_bug_no_cpu_check', ['4', '500']), seed: 1, schedules: 200 };
    const node = await fuzz({ ...spec, cpu: await createCpu() });
    const full = node.failure!;
    expect(full.shrinkStopped).toBeUndefined();
    let shrinking: number | undefined;
    const end = await onPageWorkers(spec, 2, (stop) => ({
      shrinking: (k) => {
        shrinking = k;
        // Pressed once the shrink is under way (the worker lets a message in between its slices).
        setTimeout(stop, 1);
      },
    }));
    const f = end.result.failure!;
    expect(shrinking).toBe(full.k);
    expect(f.k).toBe(full.k);
    expect(f.shrinkStopped).toBe(true);
    expect(f.shrinkRuns).toBeLessThan(full.shrinkRuns);
    expect(f.original).toBe(full.original);
    // The coverage and counts are the campaign's, whatever the shrink did.
    expect(end.result.schedules).toBe(node.schedules);
    expect(end.result.coverage).toEqual(node.coverage);
    const out = Runner.create(spec.target, await createCpu()).run(decodeSchedule(f.schedule));
    expect(judge(out)?.class).toBe(judge(Runner.create(spec.target, await createCpu()).run(decodeSchedule(full.original)))?.class);
    expect(f.replay.schedule).toBe(f.schedule);
    expect(f.explanation.at(-1)).toBe(`result: ${f.summary}`);
  });

  it('the kernels of the form: its own first, then each ticked one that is another profile', () => {
    expect(kernelsOf('current', [])).toEqual(['current']);
    expect(kernelsOf('6.19', ['7.0'])).toEqual(['6.19', '7.0']);
    expect(kernelsOf('current', ['4.18', '7.0'])).toEqual(['current', '4.18']);
    expect(kernelsOf('6.3', ['4.18', '6.3', '6.19'])).toEqual(['6.3', '4.18', '6.19']);
  });
});
