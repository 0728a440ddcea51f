// Machine snapshots: run a program to a point, snapshot, run to the end;
// restore and run again: the same output, status and trace hash, any number
// of times, with threads, processes, pipes and shared memory in flight; and
// another scheduler seed after a restore gives another interleaving of the
// same state.
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { Machine, type RunResult } from '../../kernel-model/machine.js';
import { programPath } from '../programs/native.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gcc, STATIC } from './gcc.js';

/** Three threads, each adding 1 to a shared counter 2000 times under a mutex. */
const counter = gcc('mutex-counter', join(import.meta.dirname, 'fixtures', 'mutex-counter.c'), STATIC);

const text = (r: RunResult) => new TextDecoder().decode(r.stdout);
const summary = (r: RunResult) => ({ kind: r.kind, exitCode: r.exitCode, stdout: text(r), hash: r.traceHash, retired: r.retired });

async function machineFor(path: string, bytes: Uint8Array, args: string[] = [], cpus = 4) {
  return Machine.create({ cpu: await createCpu(), program: bytes, path, argv: [path, ...args], seed: 5, cpus });
}

describe('Machine snapshots', () => {
  it('threads: restore and run again gives the same run, twenty times over, without growing memory', async () => {
    const m = await machineFor(counter.path, counter.bytes, ['2000']);
    const paused = m.run({ maxInstructions: 1e9, until: (e) => e.kind === 'task-new' && e.tid === 1002 });
    expect(paused.kind).toBe('paused');
    const snap = m.snapshot();
    expect(snap.objects).toBeGreaterThan(10);
    const first = summary(m.run({ maxInstructions: 1e9 }));
    expect(first).toMatchObject({ kind: 'exited', exitCode: 0, stdout: '6000\n' });
    let frames = -1;
    for (let i = 0; i < 20; i++) {
      m.restore(snap);
      expect(m.retired).toBe(snap.retired);
      expect(m.threads().map((t) => t.tid)).toEqual([1000, 1001, 1002]);
      expect(summary(m.run({ maxInstructions: 1e9 }))).toEqual(first);
      if (i === 1) frames = m.cpu.framesInUse();
      if (i > 1) expect(m.cpu.framesInUse()).toBe(frames);
    }
    m.releaseSnapshot(snap);
    expect(() => m.restore(snap)).toThrow(/released/);
  });

  it('another scheduler seed after a restore interleaves differently and computes the same result', async () => {
    const m = await machineFor(counter.path, counter.bytes, ['2000']);
    m.run({ maxInstructions: 1e9, until: (e) => e.kind === 'task-new' && e.tid === 1003 });
    const snap = m.snapshot();
    const hashes = new Set<string>();
    for (const seed of [1, 2, 3, 4]) {
      m.restore(snap);
      m.reseedScheduler(seed);
      const r = m.run({ maxInstructions: 1e9 });
      expect(text(r)).toBe('6000\n');
      hashes.add(r.traceHash);
    }
    expect(hashes.size).toBeGreaterThan(1);
    // The same seed again: the same interleaving.
    m.restore(snap);
    m.reseedScheduler(3);
    const again = m.run({ maxInstructions: 1e9 }).traceHash;
    m.restore(snap);
    m.reseedScheduler(3);
    expect(m.run({ maxInstructions: 1e9 }).traceHash).toBe(again);
  });

  for (const name of ['fork_pipe_wait', 'shm_fork', 'signal_pthread_kill', 'timer_signals']) {
    it(`${name}: a snapshot in the middle (processes, pipes, shared memory, signals, timers in flight) replays exactly`, async () => {
      const path = programPath(name);
      const m = await machineFor(path, new Uint8Array(readFileSync(path)));
      // Somewhere in the middle: after the first system call of a second thread or process.
      const paused = m.run({ maxInstructions: 1e9, until: (e) => e.kind === 'syscall' && e.tid !== 1000 });
      expect(paused.kind).toBe('paused');
      const snap = m.snapshot();
      const first = summary(m.run({ maxInstructions: 1e9 }));
      expect(first.kind).toBe('exited');
      expect(first.exitCode).toBe(0);
      for (let i = 0; i < 3; i++) {
        m.restore(snap);
        expect(summary(m.run({ maxInstructions: 1e9 }))).toEqual(first);
      }
      m.releaseSnapshot(snap);
    });
  }
});
