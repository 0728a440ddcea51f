// Shrinking in steps (fuzz/shrink.ts shrinkSteps, Campaign.failureSteps),
// which the page's worker takes one at a time so that a Stop can reach it:
// never stopped, it is exactly failureAt (the CLI's shrink); stopped after
// any number of runs, it ends there with a schedule that still fails the
// same way, says it was stopped, and is explained and made a replay as a
// full shrink is.
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { Campaign, type CampaignSpec } from '../../fuzz/campaign.js';
import { judge } from '../../fuzz/judge.js';
import { Runner } from '../../fuzz/runner.js';
import { decodeSchedule } from '../../fuzz/schedule.js';
import { finish } from '../../fuzz/shrink.js';
import { fuzzTarget } from '../programs/rseq-machine.js';

/** Takes the steps, asking to stop before run `stopAt` (counting from 0). */
function stoppedAt(c: Campaign, k: number, stopAt: number) {
  const steps = c.failureSteps(k);
  // The first next() runs up to the first yield, before the first shrink run; each later one answers a yield.
  let r = steps.next(false);
  for (let asked = 0; !r.done; asked++) r = steps.next(asked >= stopAt);
  return r.value;
}

describe('a shrink stopped early', () => {
  it('rseq_bug_no_cpu_check: never stopped is failureAt; stopped after n runs keeps a failing schedule of those n runs', async () => {
    const spec: CampaignSpec = { target: fuzzTarget('rseq_bug_no_cpu_check', ['4', '500']), seed: 1, schedules: 100 };
    const c = await Campaign.create(spec, [await createCpu()]);
    const k = c.runChunk({ from: 0, step: 1, count: 100 }).failure!.k;
    const full = c.failureAt(k);
    expect(full.shrinkStopped).toBeUndefined();
    expect(finish(c.failureSteps(k))).toEqual(full);
    expect(stoppedAt(c, k, Infinity)).toEqual(full);
    const runner = Runner.create(spec.target, await createCpu());
    const want = judge(runner.run(decodeSchedule(full.original)))!.class;
    for (const n of [0, 1, Math.floor(full.shrinkRuns / 2)]) {
      const f = stoppedAt(c, k, n);
      expect(f.shrinkStopped).toBe(true);
      expect(f.shrinkRuns).toBe(n);
      expect(f.original).toBe(full.original);
      if (n === 0) expect(f.schedule).toBe(full.original);
      expect(judge(runner.run(decodeSchedule(f.schedule)))?.class).toBe(want);
      expect(f.replay.schedule).toBe(f.schedule);
      expect(f.explanation.at(-1)).toBe(`result: ${f.summary}`);
    }
  });

  it('a kernel differential stopped at once keeps every profile\'s verdict', async () => {
    const spec: CampaignSpec = { target: fuzzTarget('rseq_bug_two_stores', [], '4.18'), kernels: ['4.18', '7.0'], seed: 1, schedules: 100 };
    const c = await Campaign.create(spec, [await createCpu(), await createCpu()]);
    const k = c.runChunk({ from: 0, step: 1, count: 100 }).failure!.k;
    const f = stoppedAt(c, k, 0);
    expect(f.shrinkStopped).toBe(true);
    expect(f.schedule).toBe(f.original);
    expect(f.kernel).toBe('7.0');
    expect(f.verdicts!.map((v) => v.kernel)).toEqual(['4.18', '7.0']);
    expect(f.difference).toMatch(/^4\.18: passes: .*; 7\.0: fails: /);
  });
});
