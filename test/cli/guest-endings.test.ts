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
    expect(r.lines).toEqual([
      'rseqlab: guest stopped after 200000 instructions, the limit; raise it with --max-instructions (now 200000)',
      expect.stringMatching(/^rseqlab: {3}tid 1000 \(pid 1000, spin\) on vCPU \d: running$/),
    ]);
  });

  it('passes arguments through and returns the guest exit status; --stats reports MIPS and the trace hash', () => {
    const prog = gcc('status', '#include <stdlib.h>\n#include <stdio.h>\nint main(int c, char **v) { printf("%d %s\\n", c, v[2]); return atoi(v[1]); }', STATIC);
    const r = rseqlab('run', '--stats', prog.path, '42', 'two words');
    expect(r.status).toBe(42);
    expect(r.stdout).toBe('3 two words\n');
    expect(r.lines).toEqual([
      expect.stringMatching(/^rseqlab: \d+ instructions retired in \d+\.\d+ s \(\d+\.\d+ MIPS\)$/),
      expect.stringMatching(/^rseqlab: 4 vCPUs, \d+ context switches, machine time \d+\.\d{3} ms, trace hash [0-9a-f]{16}$/),
    ]);
    // Same program, options and seed: the same trace hash.
    const again = rseqlab('run', '--stats', prog.path, '42', 'two words');
    expect(again.lines[1].split('trace hash ')[1]).toBe(r.lines[1].split('trace hash ')[1]);
  });

  it('a deadlock ends with status 125 and one line per thread saying what it waits on', () => {
    const prog = gcc('deadlock', `
      #include <pthread.h>
      static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
      static pthread_barrier_t bar;
      static void *other(void *x) { pthread_mutex_lock(&b); pthread_barrier_wait(&bar); pthread_mutex_lock(&a); return x; }
      int main(void) {
        pthread_t t;
        pthread_barrier_init(&bar, 0, 2);
        pthread_create(&t, 0, other, 0);
        pthread_mutex_lock(&a); pthread_barrier_wait(&bar); pthread_mutex_lock(&b);
        return 0;
      }
    `, STATIC);
    const r = rseqlab('run', '--cpus', '2', prog.path);
    expect(r.status).toBe(125);
    expect(r.lines[0]).toMatch(/^rseqlab: guest stopped: deadlock: every thread is blocked and no timer is pending \(2 threads\)$/);
    expect(r.lines.slice(1)).toEqual([
      expect.stringMatching(/^rseqlab: {3}tid 1000 \(pid 1000, deadlock\) on vCPU \d: blocked in futex 0x[0-9a-f]+ \(value 2\) <b>$/),
      expect.stringMatching(/^rseqlab: {3}tid 1001 \(pid 1000, deadlock\) on vCPU \d: blocked in futex 0x[0-9a-f]+ \(value 2\) <a>$/),
    ]);
  });

  it('--strace prints system calls with the thread id; --cpus and --nodes are checked', () => {
    const prog = gcc('hello-strace', '#include <unistd.h>\nint main(void) { write(1, "hi\\n", 3); return 0; }', STATIC);
    const r = rseqlab('run', '--strace', '--cpus', '2', '--nodes', '2', prog.path);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('hi\n');
    expect(r.lines.some((l) => /^\[tid 1000 cpu \d\] write\(1, 0x[0-9a-f]+, 3\) = 3$/.test(l))).toBe(true);
    expect(r.lines).toContain('[pid 1000] +++ exited with status 0 +++');
    expect(rseqlab('run', '--cpus', '65', prog.path).status).toBe(2);
    expect(rseqlab('run', '--cpus', '2', '--nodes', '3', prog.path).status).toBe(2);
  });
});
