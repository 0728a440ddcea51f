// web/injection-pause.ts: the stop it finds is the last transparent pause
// with the first injected event still pending (one event later it has
// fired), and pausing there changes nothing about the run.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { beginSchedule, Runner, runStartUp, targetMachine, type FuzzTarget } from '../../fuzz/runner.js';
import type { Schedule } from '../../fuzz/schedule.js';
import { eventsBeforeFirstInjection, runEvents } from '../../web/injection-pause.js';
import { root } from './browser.js';

async function counterTarget(): Promise<FuzzTarget> {
  const program = new Uint8Array(await readFile(join(root, 'build', 'programs', 'rseq_counter')));
  return { program, path: '/rseq_counter', args: ['2', '300'], cpus: 2, kernel: 'current', maxInstructions: 200_000_000 };
}

describe('the stop before the first injected event', () => {
  it('is the last pause with the event pending, early or late in the run, and changes nothing', async () => {
    const target = await counterTarget();
    const runner = Runner.create(target, await createCpu());
    const start = runner.sections[0].start;
    const schedules: Schedule[] = [
      { seed: 5, events: [{ action: { kind: 'preempt' }, at: { kind: 'address', address: start, hit: 1 } }] },
      // Late in the run: the 250th entry into the section (of 600).
      { seed: 5, events: [{ action: { kind: 'migrate', cpu: 1 }, at: { kind: 'address', address: start, hit: 250 } }] },
      { seed: 9, events: [{ action: { kind: 'preempt' }, at: { kind: 'instructions', tid: 1001, count: 5000 } }] },
    ];
    const m = targetMachine(target, await createCpu());
    runStartUp(m, target);
    const registration = m.snapshot();
    for (const s of schedules) {
      m.restore(registration);
      beginSchedule(m, s);
      const from = m.snapshot();
      const n = eventsBeforeFirstInjection(m, from, target.maxInstructions)!;
      expect(n).toBeGreaterThan(0);
      runEvents(m, target.maxInstructions, n);
      expect(m.pendingInjections(), `${n} events`).toHaveLength(1);
      const there = m.retired;
      // One event later, the event has fired.
      m.restore(from);
      runEvents(m, target.maxInstructions, n + 1);
      expect(m.pendingInjections()).toHaveLength(0);
      // Paused there and run on: the Runner's run exactly.
      m.restore(from);
      runEvents(m, target.maxInstructions, n);
      expect(m.retired).toBe(there);
      const end = m.run({ maxInstructions: target.maxInstructions - m.retired });
      const out = runner.run(s);
      expect(end.traceHash).toBe(out.traceHash);
      expect(end.retired).toBe(out.retired);
      m.releaseSnapshot(from);
    }
  });

  it('is undefined when no event fires, and leaves the machine where it was', async () => {
    const target = await counterTarget();
    const m = targetMachine(target, await createCpu());
    runStartUp(m, target);
    beginSchedule(m, { seed: 1, events: [{ action: { kind: 'preempt' }, at: { kind: 'address', address: 0x1000, hit: 1 } }] });
    const from = m.snapshot();
    const retired = m.retired;
    expect(eventsBeforeFirstInjection(m, from, target.maxInstructions)).toBeUndefined();
    expect(m.retired).toBe(retired);
    expect(m.pendingInjections()).toHaveLength(1);
  });
});
