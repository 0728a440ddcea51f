// The Machine API the CLI, the fuzzer and the page drive: run by budget or
// until an event, list threads and vCPUs, read memory by symbol, and the
// same trace for the same seed.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { Machine } from '../../kernel-model/machine.js';
import type { MachineEvent } from '../../kernel-model/events.js';
import { gcc, STATIC } from './gcc.js';

const prog = gcc('mutex-counter', join(import.meta.dirname, 'fixtures', 'mutex-counter.c'), STATIC);

async function machine(seed = 1, cpus = 4) {
  return Machine.create({ cpu: await createCpu(), program: prog.bytes, path: prog.path, argv: [prog.path, '1000'], seed, cpus });
}

describe('Machine API', () => {
  it('runs until an event, lists threads and vCPUs, reads a symbol, then runs to the end', async () => {
    const m = await machine();
    const paused = m.run({ maxInstructions: 1e8, until: (e) => e.kind === 'task-new' && e.thread });
    expect(paused.kind).toBe('paused');
    expect(paused.event).toMatchObject({ kind: 'task-new', tid: 1001, pid: 1000, thread: true });
    const threads = m.threads();
    expect(threads.map((t) => t.tid)).toEqual([1000, 1001]);
    expect(threads.every((t) => t.pid === 1000)).toBe(true);
    const vcpus = m.vcpus();
    expect(vcpus).toHaveLength(4);
    expect(vcpus.flatMap((v) => [v.current, ...v.queued]).filter((t) => t !== 0).sort()).toEqual([1000, 1001]);
    const done = m.run({ maxInstructions: 1e8 });
    expect(done).toMatchObject({ kind: 'exited', exitCode: 0 });
    expect(new TextDecoder().decode(done.stdout)).toBe('3000\n');
    const counter = new DataView(m.readSymbol('counter', 8).buffer).getBigInt64(0, true);
    expect(counter).toBe(3000n);
  });

  it('yields between scheduling steps when asked, and running on to the same limit makes the uninterrupted schedule', async () => {
    const whole = (await machine(7)).run({ maxInstructions: 1e8 });
    const m = await machine(7);
    const limit = 1e8;
    let asks = 0;
    let pauses = 0;
    let r;
    for (;;) {
      r = m.run({ maxInstructions: limit - m.retired, yieldWhen: () => ++asks % 50 === 0 });
      if (r.kind !== 'paused') break;
      expect(r.event).toBeUndefined();
      pauses++;
    }
    expect(pauses).toBeGreaterThan(10);
    expect(r).toMatchObject({ kind: 'exited', exitCode: 0, retired: whole.retired, traceHash: whole.traceHash });
  });

  it('steps one instruction at a time', async () => {
    const m = await machine();
    const rip0 = m.task.ctx.rip;
    const r = m.run({ maxInstructions: 1 });
    expect(r.kind).toBe('budget-exhausted');
    expect(r.retired).toBe(1);
    expect(m.task.ctx.rip).not.toBe(rip0);
  });

  it('the same seed gives the same events and hash; another seed interleaves differently', async () => {
    const trace = async (seed: number) => {
      const m = await machine(seed);
      const events: string[] = [];
      m.onEvent((e: MachineEvent) => {
        if (e.kind === 'switch' || e.kind === 'migrate' || e.kind === 'syscall') events.push(`${e.kind}:${e.t}`);
      });
      const r = m.run({ maxInstructions: 1e8 });
      return { hash: r.traceHash, events };
    };
    const a = await trace(7);
    const b = await trace(7);
    const c = await trace(8);
    expect(b.hash).toBe(a.hash);
    expect(b.events).toEqual(a.events);
    expect(c.hash).not.toBe(a.hash);
    // Watching does not change the hash: a run nobody listens to hashes the same.
    const quiet = (await machine(7)).run({ maxInstructions: 1e8 });
    expect(quiet.traceHash).toBe(a.hash);
  });

  it('rejects impossible topologies', async () => {
    const cpu = await createCpu();
    expect(() => Machine.create({ cpu, program: prog.bytes, path: prog.path, seed: 1, cpus: 65 })).toThrow(/cpus must be 1\.\.64/);
    expect(() => Machine.create({ cpu, program: prog.bytes, path: prog.path, seed: 1, cpus: 2, nodes: 3 })).toThrow(/nodes must be 1\.\.cpus/);
  });
});
