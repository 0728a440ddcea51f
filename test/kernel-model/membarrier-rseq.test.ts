// membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ): the process's other
// threads running on the targeted vCPUs take the rseq preempt event, so a
// worker caught inside its critical section aborts and retries and its
// per-CPU total stays exact; the errnos and the query match the host kernel.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { Machine } from '../../kernel-model/machine.js';
import { gcc, STATIC } from './gcc.js';

const prog = gcc('rseq-membarrier', join(import.meta.dirname, 'fixtures', 'rseq-membarrier.c'), [...STATIC, '-pthread']);

describe('membarrier RSEQ', () => {
  it('registration, errnos and query as on the host; the worker aborts and its total stays exact', async () => {
    const native = spawnSync(prog.path, [], { encoding: 'utf8', timeout: 30_000 });
    expect(native.status).toBe(0);
    const nativeLines = native.stdout.split('\n');
    for (const seed of [1, 2, 3]) {
      const m = Machine.create({ cpu: await createCpu(), program: prog.bytes, path: prog.path, seed, cpus: 2 });
      const r = m.run({ maxInstructions: 1e9 });
      const lines = new TextDecoder().decode(r.stdout).split('\n');
      expect(r.exitCode, `seed ${seed}`).toBe(0);
      // The first four lines do not depend on timing: the same as natively.
      expect(lines.slice(0, 4), `seed ${seed}`).toEqual(nativeLines.slice(0, 4));
      // Natively an abort depends on luck; here the barrier hits the worker inside its section.
      expect(lines[4], `seed ${seed}`).toBe('total 20000, worker aborted: yes');
    }
  });
});
