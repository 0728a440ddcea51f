// A registration across fork, clone and execve (rseq-abi.md section 3),
// by a guest program (fixtures/rseq-lifecycle.c) run natively and emulated:
// both must print the same facts.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import type { MachineEvent } from '../../kernel-model/events.js';
import { Machine } from '../../kernel-model/machine.js';
import { gcc, STATIC } from './gcc.js';

const prog = gcc('rseq-lifecycle', join(import.meta.dirname, 'fixtures', 'rseq-lifecycle.c'), STATIC);
const EXPECTED = 'fork child: register again EBUSY, cpu_id valid\nclone thread: unregister EINVAL, own registration ok\nexec: __rseq_size set, cpu_id valid\n';

describe('rseq registration across fork, clone and execve', () => {
  it('natively: fork inherits, a CLONE_VM thread starts unregistered, execve drops it (glibc registers again)', () => {
    const r = spawnSync(prog.path, [], { encoding: 'utf8' });
    expect([r.status, r.stdout]).toEqual([0, EXPECTED]);
  });

  it('emulated, with the same output; the event stream shows each registration', async () => {
    const m = Machine.create({ cpu: await createCpu(), program: prog.bytes, path: prog.path, argv: [prog.path], seed: 3, cpus: 2 });
    const regs: MachineEvent[] = [];
    m.onEvent((e) => {
      if (e.kind === 'rseq' && (e.what === 'register' || e.what === 'unregister')) regs.push(e);
    });
    const r = m.run({ maxInstructions: 1e8 });
    expect([r.exitCode, new TextDecoder().decode(r.stdout)]).toEqual([0, EXPECTED]);
    // glibc at start-up, the clone thread's own area, glibc again after execve.
    expect(regs.map((e) => e.kind === 'rseq' && `${e.tid} ${e.what}`)).toEqual(['1000 register', '1002 register', '1000 register']);
    expect(r.findings.filter((f) => f.rule === 'registration-refused').map((f) => f.tid)).toEqual([1001]);
  });
});
