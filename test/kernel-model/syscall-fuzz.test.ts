// The host never fails because of a guest: thousands of system calls with
// random numbers and arguments (fixtures/syscall-fuzz.c) end in a normal
// exit or a signal, never in an exception out of the machine. The tame mode
// also survives natively, so its output is compared with the host's.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { Machine } from '../../kernel-model/machine.js';
import { gcc, STATIC } from './gcc.js';

const prog = gcc('syscall-fuzz', join(import.meta.dirname, 'fixtures', 'syscall-fuzz.c'), [...STATIC, '-O1']);

async function emulate(args: string[]) {
  const m = Machine.create({ cpu: await createCpu(), program: prog.bytes, path: prog.path, argv: [prog.path, ...args], seed: 3, cpus: 2 });
  return m.run({ maxInstructions: 50_000_000 });
}

describe('random system calls', () => {
  for (const seed of ['1', '2', '3']) {
    it(`tame, seed ${seed}: survives, as natively`, async () => {
      const native = spawnSync(prog.path, ['2000', seed], { encoding: 'utf8', timeout: 30_000 });
      expect(native.stdout).toBe('sysfuzz: survived\n');
      const r = await emulate(['2000', seed]);
      expect(r.kind).toBe('exited');
      expect(new TextDecoder().decode(r.stdout)).toBe(native.stdout);
    });
  }
  for (const seed of ['1', '2', '3', '4', '5', '6']) {
    it(`wild, seed ${seed}: ends in an exit or a signal, never an internal error`, async () => {
      const r = await emulate(['2000', seed, 'wild']);
      expect(['exited', 'killed', 'deadlock', 'budget-exhausted']).toContain(r.kind);
    });
  }
});
