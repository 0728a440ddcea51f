// Injected preemption, migration and signals at exact points of a thread,
// on a per-CPU counter updated through an rseq critical section
// (fixtures/rseq-counter.c, glibc's own registration): inside the section
// the kernel's fixup moves the thread to its abort handler, once per
// injection; after the commit nothing aborts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import type { MachineEvent } from '../../kernel-model/events.js';
import type { Injection } from '../../kernel-model/injection.js';
import { Machine } from '../../kernel-model/machine.js';
import { gcc, STATIC } from './gcc.js';

const prog = gcc('rseq-counter', join(import.meta.dirname, 'fixtures', 'rseq-counter.c'), STATIC);

async function runWith(injections: (m: Machine) => Injection[], cpus = 4) {
  const m = Machine.create({ cpu: await createCpu(), program: prog.bytes, path: prog.path, argv: [prog.path, '1000'], seed: 1, cpus });
  for (const i of injections(m)) m.inject(i);
  const events: MachineEvent[] = [];
  m.onEvent((e) => {
    if (e.kind === 'inject' || e.kind === 'rseq') events.push(e);
  });
  const r = m.run({ maxInstructions: 1e8 });
  return { m, r, out: new TextDecoder().decode(r.stdout), events };
}

function section(m: Machine) {
  expect(m.criticalSections).toHaveLength(1);
  return m.criticalSections[0];
}

describe('injection at exact points', () => {
  it('without injections nothing aborts', async () => {
    const { r, out } = await runWith(() => []);
    expect(r.exitCode).toBe(0);
    expect(out).toBe('cpus: 0\ntotal 1000 aborts 0 signals 0\n');
  });

  it('preempting at the first instruction of the section, the 500th time, aborts it once', async () => {
    const { r, out, events } = await runWith((m) => [{ action: { kind: 'preempt' }, at: { kind: 'address', address: section(m).start, hit: 500 } }]);
    expect(r.exitCode).toBe(0);
    expect(out).toBe('cpus: 0\ntotal 1000 aborts 1 signals 0\n');
    const kinds = events.map((e) => (e.kind === 'rseq' ? `rseq ${e.what}` : e.kind));
    // glibc registers at start-up (IDs written); the injection; then the abort, by the preempt event.
    expect(kinds).toEqual(['rseq register', 'rseq ids', 'inject', 'rseq abort']);
    expect(events[3]).toMatchObject({ kind: 'rseq', what: 'abort', detail: expect.stringMatching(/^abort from 0x[0-9a-f]+ to 0x[0-9a-f]+ \(preempt\) on vCPU 0$/) });
  });

  it('preempting at the commit instruction aborts; right after the commit it does not', async () => {
    const commit = (m: Machine) => {
      const cs = section(m);
      // The commit (addq) is the last instruction of the range: the instruction before postCommit.
      let at = cs.start;
      for (;;) {
        const d = m.cpu.decode(at);
        if (at + d.length >= cs.postCommit) return at;
        at += d.length;
      }
    };
    const inside = await runWith((m) => [{ action: { kind: 'preempt' }, at: { kind: 'address', address: commit(m), hit: 7 } }]);
    expect(inside.out).toBe('cpus: 0\ntotal 1000 aborts 1 signals 0\n');
    const after = await runWith((m) => [{ action: { kind: 'preempt' }, at: { kind: 'address', address: section(m).postCommit, hit: 7 } }]);
    expect(after.out).toBe('cpus: 0\ntotal 1000 aborts 0 signals 0\n');
    // After the commit, the preemption only clears rseq_cs lazily.
    expect(after.events.map((e) => (e.kind === 'rseq' ? `rseq ${e.what}` : e.kind))).toEqual(['rseq register', 'rseq ids', 'inject', 'rseq lazy-clear']);
  });

  it('migrating inside the section aborts and the thread counts on its new vCPU afterwards', async () => {
    const { out } = await runWith((m) => [{ action: { kind: 'migrate', cpu: 2 }, at: { kind: 'address', address: section(m).start, hit: 10 } }]);
    expect(out).toBe('cpus: 0 2\ntotal 1000 aborts 1 signals 0\n');
  });

  it('a signal delivered inside the section runs the handler, then the thread resumes at the abort handler', async () => {
    const { out } = await runWith((m) => [{ action: { kind: 'signal', sig: 10, scope: 'thread' }, at: { kind: 'address', address: section(m).start, hit: 3 } }]);
    expect(out).toBe('cpus: 0\ntotal 1000 aborts 1 signals 1\n');
  });

  it('an injection after K instructions of a thread fires exactly there', async () => {
    const m = Machine.create({ cpu: await createCpu(), program: prog.bytes, path: prog.path, argv: [prog.path, '1000'], seed: 1, cpus: 2 });
    m.inject({ action: { kind: 'preempt' }, at: { kind: 'instructions', tid: 1000, count: 20_000 } });
    let at: bigint | undefined;
    m.onEvent((e) => {
      if (e.kind === 'inject') at = m.task.cpuNs;
    });
    const r = m.run({ maxInstructions: 1e8 });
    expect(r.exitCode).toBe(0);
    expect(at).toBe(20_000n);
    expect(m.pendingInjections()).toEqual([]);
  });

  it('refuses injections that cannot happen', async () => {
    const m = Machine.create({ cpu: await createCpu(), program: prog.bytes, path: prog.path, seed: 1, cpus: 2 });
    expect(() => m.inject({ action: { kind: 'migrate', cpu: 2 }, at: { kind: 'instructions', tid: 1000, count: 1 } })).toThrow(/no vCPU 2/);
    expect(() => m.inject({ action: { kind: 'signal', sig: 65, scope: 'thread' }, at: { kind: 'instructions', tid: 1000, count: 1 } })).toThrow(/no signal 65/);
  });
});

describe('several injections for one thread', () => {
  it('each waits at its own address; a visit counts once for every injection there', async () => {
    const { out, events } = await runWith((m) => {
      const cs = section(m);
      return [
        { action: { kind: 'preempt' }, at: { kind: 'address', address: cs.postCommit, hit: 1 } },
        { action: { kind: 'signal', sig: 10, scope: 'thread' }, at: { kind: 'address', address: cs.postCommit, hit: 2 } },
        { action: { kind: 'preempt' }, at: { kind: 'address', address: cs.start, hit: 5 } },
      ];
    });
    // After the commit neither event aborts; the signal's handler runs; inside the section the preemption aborts.
    expect(out).toBe('cpus: 0\ntotal 1000 aborts 1 signals 1\n');
    expect(events.filter((e) => e.kind === 'inject')).toHaveLength(3);
  });
});

describe('chaos mode', () => {
  it('random preemptions, migrations and handled signals: the counter stays exact, aborts happen, the seed decides', async () => {
    const run = async (seed: number) => {
      const m = Machine.create({ cpu: await createCpu(), program: prog.bytes, path: prog.path, argv: [prog.path, '1000'], seed, cpus: 4 });
      m.setChaos({ perThousand: 20 });
      const r = m.run({ maxInstructions: 1e8 });
      return { r, out: new TextDecoder().decode(r.stdout) };
    };
    const a = await run(1);
    expect(a.r.exitCode).toBe(0);
    expect(a.out).toMatch(/^cpus: 0( \d)+\ntotal 1000 aborts [1-9]\d* signals [1-9]\d*\n$/);
    const again = await run(1);
    expect(again.out).toBe(a.out);
    expect(again.r.traceHash).toBe(a.r.traceHash);
    expect((await run(2)).r.traceHash).not.toBe(a.r.traceHash);
  });

  it('a correct threaded program gives its native output under chaos, whatever the seed', async () => {
    const { programPath, runNative } = await import('../programs/native.js');
    const { readFileSync } = await import('node:fs');
    const path = programPath('thread_mutex');
    const native = runNative('thread_mutex', []).stdout.toString();
    for (const seed of [1, 2, 3]) {
      const m = Machine.create({ cpu: await createCpu(), program: new Uint8Array(readFileSync(path)), path, seed, cpus: 4 });
      m.setChaos({ perThousand: 5 });
      const r = m.run({ maxInstructions: 1e9 });
      expect(r.exitCode, `seed ${seed}`).toBe(0);
      expect(new TextDecoder().decode(r.stdout), `seed ${seed}`).toBe(native);
    }
  });
});
