// The Runner's later start (fuzz/runner.ts laterStart): a schedule none of
// whose events can fire before it runs from the machine after the main
// thread's last system call before the first scheduling choice, and must
// give exactly the run it gives from the rseq registration: same ending,
// output, instructions, trace hash, fired events and rseq events. Most
// generated schedules qualify; an event the start-up passes does not.
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { profile } from '../../fuzz/campaign.js';
import { scheduleFor } from '../../fuzz/generate.js';
import { Runner } from '../../fuzz/runner.js';
import { fuzzTarget } from '../programs/rseq-machine.js';

describe('the later start', () => {
  for (const [name, args] of [['rseq_counter', ['2', '300']], ['rseq_list', ['2', '20', '2']], ['rseq_signal', ['5']], ['rseq_bug_two_stores', []], ['rseq_bug_no_cpu_check', ['4', '500']], ['rseq_cpu_id_start', []], ['rseq_membarrier', ['2']], ['rseq_slice', ['20']]] as const) {
    it(`${name}: every schedule that starts later gives the run it gives from the registration`, async () => {
      const runner = Runner.create(fuzzTarget(name, [...args]), await createCpu());
      const { profile: p } = profile(runner, 1);
      let later = 0;
      for (let k = 0; k < 60; k++) {
        const s = scheduleFor(1, k, p, { strategy: 'mixed', kinds: p.signals.length > 0 ? ['preempt', 'migrate', 'signal'] : ['preempt', 'migrate'] });
        if (!runner.startsLater(s)) continue;
        later++;
        const fast = runner.run(s);
        // An observer makes the run start at the registration.
        const full = runner.run(s, () => {});
        expect(fast, `k ${k}`).toEqual(full);
      }
      expect(later, 'schedules that started later').toBeGreaterThan(name === 'rseq_cpu_id_start' ? 0 : 30);
    });
  }

  it('an event at an address the start-up runs, or a count of the main thread before the later start, starts at the registration', async () => {
    const runner = Runner.create(fuzzTarget('rseq_counter', ['2', '300']), await createCpu());
    const main = runner.machine.symbols.lookup('main');
    expect(main).toBeDefined();
    expect(runner.startsLater({ seed: 1, events: [{ action: { kind: 'preempt' }, at: { kind: 'address', address: main!.address, hit: 1 } }] })).toBe(false);
    expect(runner.startsLater({ seed: 1, events: [{ action: { kind: 'preempt' }, at: { kind: 'instructions', tid: 1000, count: runner.startupInstructions + 1 } }] })).toBe(false);
    const section = runner.sections[0].start;
    expect(runner.startsLater({ seed: 1, events: [{ action: { kind: 'preempt' }, at: { kind: 'address', address: section, hit: 1 } }] })).toBe(true);
  });
});
