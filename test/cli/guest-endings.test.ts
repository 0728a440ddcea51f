// How `rseqlab run` reports a guest that does not simply exit: one line
// naming what happened, where, and the instruction, and the exit status a
// shell would show (128 + signal), or 124 for the instruction limit.

import { describe, expect, it } from 'vitest';
import { rseqlab } from './rseqlab.js';
import { gcc, STATIC } from '../kernel-model/gcc.js';

describe('guest endings', () => {
  it('an instruction the CPU does not implement: SIGILL, its address, bytes and disassembly', () => {
    // AVX2 is not advertised by cpuid, but a program built for it uses it anyway.
    const prog = gcc('avx', `
      volatile float a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b[8];
      int main(void) { for (int i = 0; i < 8; i++) b[i] = a[i] * 2; return 0; }
    `, [...STATIC, '-O3', '-mavx2']);
    const r = rseqlab('run', prog.path);
    expect(r.status).toBe(128 + 4);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/^rseqlab: guest killed by SIGILL: .* at 0x[0-9a-f]+ <main(\+\d+)?>: v\w+ .*\(bytes c5( [0-9a-f]{2})+\)$/);
  });

  it('a write to an unmapped address: SIGSEGV with the address and the instruction', () => {
    const prog = gcc('segv', 'int main(void) { *(volatile int *)16 = 1; return 0; }\n', STATIC);
    const r = rseqlab('run', prog.path);
    expect(r.status).toBe(128 + 11);
    expect(r.lines).toEqual([expect.stringMatching(/^rseqlab: guest killed by SIGSEGV: write to unmapped address 0x10 at 0x[0-9a-f]+ <main>: mov dword ptr \[0x10\], 1$/)]);
  });

  it('a guest that never ends stops at --max-instructions with exit status 124', () => {
    const prog = gcc('spin', 'int main(void) { for (;;) __asm__ volatile(""); }\n', STATIC);
    const r = rseqlab('run', '--max-instructions', '200000', prog.path);
    expect(r.status).toBe(124);
    expect(r.lines).toEqual(['rseqlab: guest stopped after 200000 instructions, the limit; raise it with --max-instructions (now 200000)']);
  });

  it('passes arguments through and returns the guest exit status; --stats reports MIPS', () => {
    const prog = gcc('status', '#include <stdlib.h>\n#include <stdio.h>\nint main(int c, char **v) { printf("%d %s\\n", c, v[2]); return atoi(v[1]); }', STATIC);
    const r = rseqlab('run', '--stats', prog.path, '42', 'two words');
    expect(r.status).toBe(42);
    expect(r.stdout).toBe('3 two words\n');
    expect(r.lines).toEqual([expect.stringMatching(/^rseqlab: \d+ instructions retired in \d+\.\d+ s \(\d+\.\d+ MIPS\)$/)]);
  });
});
