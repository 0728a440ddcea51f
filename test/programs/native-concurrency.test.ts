// The concurrency guest programs (threads, signals, timers, processes), run
// natively. Each checks itself; here every one must exit as expected with
// nothing on stderr and print the same bytes in 5 runs and when pinned to a
// single CPU, which is what lets an emulated run with any number of virtual
// CPUs be compared with them byte for byte.
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  concurrencyProgramCases,
  firstAllowedCpu,
  repoRoot,
  runNative,
  runNativePinned,
  type NativeResult,
  type ProgramCase,
} from './native.js';

beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build-programs.mjs'], { cwd: repoRoot, stdio: 'pipe' });
});

const RUNS = 5;

function label(c: ProgramCase): string {
  return [c.name, ...c.args.map((a) => JSON.stringify(a))].join(' ');
}

function expectCorrect(c: ProgramCase, r: NativeResult, how: string): void {
  const where = `${label(c)} (${how})`;
  expect(r.stderr.toString('utf8'), `${where} wrote to stderr`).toBe('');
  expect(r.signal, `${where} was killed by a signal`).toBeUndefined();
  expect(r.exitCode, `${where} exit status`).toBe(c.exitCode);
  expect(r.stdout.toString('utf8'), `${where} output`).toContain(c.expect);
}

describe('concurrency guest programs, native', () => {
  for (const c of concurrencyProgramCases) {
    it(`${label(c)}: exits ${c.exitCode}, same output ${RUNS} times and on one CPU`, () => {
      const first = runNative(c.name, c.args);
      expectCorrect(c, first, 'run 1');
      for (let i = 2; i <= RUNS; i++) {
        const r = runNative(c.name, c.args);
        expectCorrect(c, r, `run ${i}`);
        expect(r.stdout.toString('utf8'), `${label(c)}: run ${i} printed something else than run 1`).toBe(
          first.stdout.toString('utf8'),
        );
      }
      const cpu = firstAllowedCpu();
      const pinned = runNativePinned(c.name, c.args, cpu);
      expectCorrect(c, pinned, `taskset -c ${cpu}`);
      expect(pinned.stdout.toString('utf8'), `${label(c)}: on one CPU it printed something else`).toBe(
        first.stdout.toString('utf8'),
      );
    }, 60_000);
  }

  it('every concurrency program in programs/ has a case', () => {
    const names = new Set(concurrencyProgramCases.map((c) => c.name));
    for (const n of [
      'thread_mutex', 'thread_atomics', 'thread_condvar', 'thread_barrier_tls', 'thread_rwlock', 'thread_cancel',
      'thread_robust', 'signal_pthread_kill', 'signal_fpe_longjmp', 'signal_altstack', 'timer_signals',
      'fork_pipe_wait', 'spawn', 'child_killed', 'affinity_getcpu', 'shm_fork',
    ]) {
      expect(names.has(n), `${n} has no entry in concurrencyProgramCases`).toBe(true);
    }
  });

  it('thread_mutex takes its thread count from argv[1] and rejects a bad one', () => {
    expect(runNative('thread_mutex', ['1']).stdout.toString()).toContain('1 threads x 10000 increments = 10000');
    const bad = runNative('thread_mutex', ['9']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString()).toContain('usage');
  });

  it('spawn in child mode prints its report and exits with argv[3]', () => {
    const r = runNative('spawn', ['child', 'word', '4']);
    expect(r.exitCode).toBe(4);
    expect(r.stdout.toString()).toContain('child: argc 4, argv[2] "word"');
  });
});
