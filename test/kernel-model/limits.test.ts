// Guests that would take the host down: a deadlock, a thread bomb, a fork
// bomb and a memory hog each end with a clear message and a documented
// status, and the host process stays fine.
import { describe, expect, it } from 'vitest';
import { createCpu } from '../../emulator/index.js';
import { Machine, type MachineOptions } from '../../kernel-model/machine.js';
import { gcc, MEMORY_HOG_C, STATIC } from './gcc.js';

async function run(name: string, source: string, options: Partial<MachineOptions> & { maxInstructions?: number } = {}) {
  const prog = gcc(name, source, STATIC);
  const warnings: string[] = [];
  const m = Machine.create({ cpu: await createCpu(), program: prog.bytes, path: prog.path, seed: 1, onWarning: (w) => warnings.push(w), ...options });
  const r = m.run({ maxInstructions: options.maxInstructions ?? 2e9 });
  return { r, warnings, out: new TextDecoder().decode(r.stdout) };
}

describe('limits and stuck guests', () => {
  it('a deadlock stops the run with one line per thread naming the futex word by symbol', async () => {
    const { r } = await run('abba', `
      #include <pthread.h>
      static pthread_mutex_t first = PTHREAD_MUTEX_INITIALIZER, second = PTHREAD_MUTEX_INITIALIZER;
      static pthread_barrier_t both;
      static void *other(void *x) { pthread_mutex_lock(&second); pthread_barrier_wait(&both); pthread_mutex_lock(&first); return x; }
      int main(void) {
        pthread_t t;
        pthread_barrier_init(&both, 0, 2);
        pthread_create(&t, 0, other, 0);
        pthread_mutex_lock(&first); pthread_barrier_wait(&both); pthread_mutex_lock(&second);
        return 0;
      }`, { cpus: 2 });
    expect(r.kind).toBe('deadlock');
    expect(r.message).toBe('deadlock: every thread is blocked and no timer is pending (2 threads)');
    expect(r.threads).toEqual([
      expect.stringMatching(/^tid 1000 \(pid 1000, abba\) on vCPU \d: blocked in futex 0x[0-9a-f]+ \(value 2\) <second>$/),
      expect.stringMatching(/^tid 1001 \(pid 1000, abba\) on vCPU \d: blocked in futex 0x[0-9a-f]+ \(value 2\) <first>$/),
    ]);
  });

  it('a thread bomb gets EAGAIN from pthread_create at the task limit, and says so once', async () => {
    const { r, out, warnings } = await run('threadbomb', `
      #include <pthread.h>
      #include <stdio.h>
      #include <string.h>
      #include <unistd.h>
      static int fds[2];
      static void *sleeper(void *x) { char c; read(fds[0], &c, 1); return x; }
      int main(void) {
        pipe(fds);
        pthread_attr_t a; pthread_attr_init(&a); pthread_attr_setstacksize(&a, 65536);
        int n = 0, e;
        pthread_t t;
        while ((e = pthread_create(&t, &a, sleeper, 0)) == 0) n++;
        printf("created %d threads, then %s\\n", n, strerror(e));
        return 0;
      }`, { maxTasks: 40, cpus: 2 });
    expect(r).toMatchObject({ kind: 'exited', exitCode: 0 });
    expect(out).toBe('created 39 threads, then Resource temporarily unavailable\n');
    expect(warnings.filter((w) => w.includes('task limit'))).toEqual([
      "rseqlab: the machine's task limit (40 threads and processes) is reached: clone/fork return EAGAIN",
    ]);
  });

  it('a fork bomb is held at the task limit and stopped by the instruction budget, with a bounded report', async () => {
    const { r, warnings } = await run('forkbomb', `
      #include <unistd.h>
      int main(void) { for (;;) fork(); }`, { maxTasks: 48, cpus: 4, maxInstructions: 3_000_000 });
    expect(r.kind).toBe('budget-exhausted');
    expect(r.retired).toBe(3_000_000);
    expect(r.threads!.length).toBe(33);
    expect(r.threads![32]).toBe('... and 16 more threads');
    expect(warnings.some((w) => w.includes('task limit (48'))).toBe(true);
  });

  it('memory exhaustion OOM-kills the process that touched the page, saying so', async () => {
    const { r, out, warnings } = await run('memhog', MEMORY_HOG_C, { memoryBytes: 64 << 20 });
    expect(r.kind).toBe('killed');
    expect(r.signal?.name).toBe('SIGKILL');
    expect(r.exitCode).toBe(137);
    expect(r.message).toMatch(/^out of memory: pid 1000 touched a fresh page at 0x[0-9a-f]+ with all 64 MiB of the machine's memory in use \(OOM kill; --memory raises the limit\)$/);
    expect(out).toContain('48 MiB\n');
    expect(warnings.some((w) => w.startsWith('rseqlab: out of memory'))).toBe(true);
  });
});
