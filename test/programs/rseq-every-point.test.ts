// rseq-abi.md section 8: "preemption at every instruction of a correct
// critical section: the data structure invariant holds and the section
// either commits once or aborts". For every instruction of the sections of
// the correct programs, a preemption, a migration to another vCPU and (for
// rseq_signal, whose handler uses the same section) a signal are injected
// exactly there, while the other threads keep touching the same per-CPU
// data; each run must still print the native bytes. An event on an
// instruction inside [start_ip, post_commit_ip) must abort that section.
import { describe, expect, it } from 'vitest';
import type { Injection } from '../../kernel-model/injection.js';
import { runNative } from './native.js';
import { instructions, runGuest, sectionIn } from './rseq-machine.js';

const PROGRAMS = [
  { name: 'rseq_counter', args: ['2', '300'], sections: ['rseq_addv'], signal: false },
  { name: 'rseq_list', args: ['2', '20', '2'], sections: ['rseq_cmpeqv_storev', 'rseq_cmpnev_storeoffp_load'], signal: false },
  { name: 'rseq_ring', args: ['2', '30'], sections: ['rseq_cmpeqv_trystorev_storev'], signal: false },
  { name: 'rseq_signal', args: ['5'], sections: ['rseq_addv'], signal: true },
] as const;

describe('an event at every instruction of every critical section', () => {
  for (const p of PROGRAMS) {
    it(`${p.name}: preempt, migrate${p.signal ? ' and SIGUSR1' : ''} at each instruction of ${p.sections.join(', ')}`, async () => {
      const native = runNative(p.name, [...p.args]).stdout.toString();
      let runs = 0;
      for (const fn of p.sections) {
        const probe = await runGuest(p.name, p.args, { cpus: 2 });
        const points = [...instructions(probe.m, sectionIn(probe.m, fn)), sectionIn(probe.m, fn).postCommit];
        const actions: Injection['action'][] = [{ kind: 'preempt' }, { kind: 'migrate', cpu: 1 }];
        if (p.signal) actions.push({ kind: 'signal', sig: 10, scope: 'thread' });
        for (const address of points) {
          for (const action of actions) {
            const g = await runGuest(p.name, p.args, { cpus: 2, seed: 7, inject: () => [{ action, at: { kind: 'address', address, hit: 3 } }] });
            const where = `${p.name} ${action.kind} at ${fn} 0x${address.toString(16)}: ${g.err}`;
            expect(g.r.exitCode, where).toBe(0);
            expect(g.out, where).toBe(native);
            const injected = g.events.find((e) => e.kind === 'inject');
            expect(injected, where).toBeDefined();
            // Inside the range the event aborts the section (from that very instruction, when the thread
            // next returns to user space); at post_commit_ip nothing aborts from there.
            const from = `abort from 0x${address.toString(16)} `;
            const abort = g.events.find((e) => e.kind === 'rseq' && e.what === 'abort' && e.tid === injected!.tid && e.detail.startsWith(from));
            if (address === points.at(-1)) expect(abort, where).toBeUndefined();
            else if (action.kind !== 'signal') expect(abort, where).toBeDefined();
            runs++;
          }
        }
      }
      expect(runs).toBeGreaterThanOrEqual(8); // at least start, commit and post_commit_ip, each with every action
    });
  }
});
