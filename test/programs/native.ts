// Runs the guest programs on the host, to give the emulated runs something
// to be compared with. Native runs only: no emulator or kernel-model imports.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const programsDir = join(repoRoot, 'build', 'programs');

/** What one run of a guest program produced. */
export interface NativeResult {
  stdout: Buffer;
  stderr: Buffer;
  /** The exit status, or 128 + signal number if a signal killed it (as a shell reports it). */
  exitCode: number;
  /** The signal that killed the program, if one did. */
  signal?: NodeJS.Signals;
}

export class ProgramNotBuiltError extends Error {
  constructor(readonly path: string) {
    super(`${path} does not exist: build the guest programs first with \`npm run build:programs\``);
    this.name = 'ProgramNotBuiltError';
  }
}

/** The path of a built guest program, e.g. programPath('hello') -> <root>/build/programs/hello. */
export function programPath(name: string): string {
  return join(programsDir, name);
}

/**
 * Runs build/programs/<name> natively with the given arguments (argv[0] is
 * the program's path, as the emulator will pass it) and an empty
 * environment, so output cannot depend on the host's locale or variables.
 * Throws if the program is missing or does not finish in time.
 */
export function runNative(
  name: string,
  args: readonly string[] = [],
  stdin?: Uint8Array | string,
  timeoutMs = 30_000,
): NativeResult {
  const path = programPath(name);
  if (!existsSync(path)) throw new ProgramNotBuiltError(path);
  return spawnNative(path, [...args], `${name} ${args.join(' ')}`, stdin, timeoutMs);
}

/**
 * Like runNative, but with the program's CPU affinity limited to `cpus` (a
 * taskset list such as "0"): every thread and child then shares those CPUs,
 * which gives interleavings a multi-CPU run rarely shows. argv[0] is still
 * the program's path.
 */
export function runNativePinned(
  name: string,
  args: readonly string[],
  cpus: string,
  stdin?: Uint8Array | string,
  timeoutMs = 30_000,
): NativeResult {
  const path = programPath(name);
  if (!existsSync(path)) throw new ProgramNotBuiltError(path);
  const taskset = findOnPath('taskset');
  if (!taskset) throw new Error('taskset (util-linux) is not installed: it is needed to pin programs to one CPU');
  return spawnNative(taskset, ['-c', cpus, path, ...args], `taskset -c ${cpus} ${name} ${args.join(' ')}`, stdin, timeoutMs);
}

/** The first CPU this process may run on (from /proc/self/status), as a taskset list. */
export function firstAllowedCpu(): string {
  const status = readFileSync('/proc/self/status', 'utf8');
  const m = /^Cpus_allowed_list:\s*(\d+)/m.exec(status);
  return m ? m[1] : '0';
}

function findOnPath(command: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/bin']) {
    if (!dir.startsWith('/')) continue;
    const path = join(dir, command);
    if (existsSync(path)) return path;
  }
  return undefined;
}

function spawnNative(
  file: string,
  args: string[],
  label: string,
  stdin: Uint8Array | string | undefined,
  timeoutMs: number,
): NativeResult {
  const r = spawnSync(file, args, {
    input: stdin ?? '',
    env: {},
    cwd: repoRoot,
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
  });
  if (r.error) {
    const timedOut = (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
    throw new Error(
      timedOut
        ? `${label} did not finish within ${timeoutMs} ms natively`
        : `cannot run ${file}: ${r.error.message}`,
    );
  }
  const signal = r.signal ?? undefined;
  const exitCode = r.status ?? 128 + (signal ? signalNumber(signal) : 0);
  return { stdout: r.stdout, stderr: r.stderr, exitCode, ...(signal ? { signal } : {}) };
}

function signalNumber(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = {
    SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8,
    SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15,
  };
  return numbers[signal] ?? 0;
}

/**
 * The programs and the arguments the program tests run them with; the
 * native and the emulated tests share this list. `exitCode` is what a
 * correct run returns.
 */
export interface ProgramCase {
  name: string;
  args: string[];
  exitCode: number;
  /** A line the output must contain, to catch a program that printed something else. */
  expect: string;
  /**
   * Instruction budget for the emulated run: about 3x the count valgrind
   * (callgrind, Ir) measured on the host with gcc 12 / glibc 2.36.
   */
  maxInstructions: number;
}

export const programCases: readonly ProgramCase[] = [
  { name: 'hello', args: [], exitCode: 0, expect: 'Hello from rseqlab!', maxInstructions: 1_000_000 },
  { name: 'hello-pie', args: [], exitCode: 0, expect: 'Hello from rseqlab!', maxInstructions: 1_000_000 },
  { name: 'strings', args: [], exitCode: 0, expect: 'strings: ok', maxInstructions: 5_000_000 },
  { name: 'malloc', args: [], exitCode: 0, expect: 'malloc: ok', maxInstructions: 300_000_000 },
  { name: 'qsort', args: [], exitCode: 0, expect: 'qsort: ok', maxInstructions: 100_000_000 },
  { name: 'setjmp', args: [], exitCode: 0, expect: 'setjmp: ok', maxInstructions: 1_000_000 },
  { name: 'printf', args: [], exitCode: 0, expect: 'printf: ok', maxInstructions: 60_000_000 },
  { name: 'exit', args: ['7', 'two words', ''], exitCode: 7, expect: 'argv[2]="two words"', maxInstructions: 1_000_000 },
  { name: 'exit', args: [], exitCode: 0, expect: 'exit status 0', maxInstructions: 1_000_000 },
  { name: 'cpubench', args: ['2'], exitCode: 0, expect: 'rounds 2', maxInstructions: 20_000_000 },
  { name: 'mmx', args: [], exitCode: 0, expect: 'mmx: ok', maxInstructions: 5_000_000 },
  // 512 MiB of fresh memory filled and read back (~60 M instructions), within the default 1 GiB machine
  { name: 'bench_memory', args: ['512'], exitCode: 0, expect: 'bench_memory: 512 MiB x 1', maxInstructions: 100_000_000 },
  // ~9.5 M counted by the emulator: valgrind 3.19 cannot decode pcmpistri with some imm8 modes
  { name: 'simd_v2', args: [], exitCode: 0, expect: 'simd_v2: ok', maxInstructions: 30_000_000 },
];

/**
 * Programs with threads, signals, timers and child processes. Each checks
 * itself and prints only what does not depend on the interleaving or on
 * the number of CPUs, so its output must be byte-identical natively, on one
 * CPU, and in the emulator with any number of virtual CPUs and any seed.
 * test/programs/native-concurrency.test.ts runs them natively; they are not
 * in `programCases` because the kernel model cannot run threads yet.
 *
 * maxInstructions: about 3x the instructions the host ran, counted over all
 * threads and child processes (callgrind Ir for the threaded programs; for
 * those valgrind cannot run (SSE exceptions, stack overflow on a guard
 * page, vfork, posix_spawn) and the forking ones, by single-stepping every
 * task with ptrace), and at least 1 M. Contended locks and spin-waits make
 * the real count vary from run to run, so those have more headroom; see
 * also timer_signals.
 */
export const concurrencyProgramCases: readonly ProgramCase[] = [
  // ~2.9 M (4 threads), ~5.8 M (8 threads); contention adds futex calls
  { name: 'thread_mutex', args: [], exitCode: 0, expect: '4 threads x 10000 increments = 40000', maxInstructions: 12_000_000 },
  { name: 'thread_mutex', args: ['8'], exitCode: 0, expect: '8 threads x 10000 increments = 80000', maxInstructions: 20_000_000 },
  // ~3.5 M; compare-exchange retries grow with contention
  { name: 'thread_atomics', args: [], exitCode: 0, expect: 'thread_atomics: ok', maxInstructions: 12_000_000 },
  // ~4.5 M
  { name: 'thread_condvar', args: [], exitCode: 0, expect: 'thread_condvar: ok', maxInstructions: 15_000_000 },
  // ~0.92 M
  { name: 'thread_barrier_tls', args: [], exitCode: 0, expect: 'thread_barrier_tls: ok', maxInstructions: 3_000_000 },
  // ~3.4 M
  { name: 'thread_rwlock', args: [], exitCode: 0, expect: 'thread_rwlock: ok', maxInstructions: 12_000_000 },
  // ~3.0 M, mostly the threads spinning until the cancel reaches them
  { name: 'thread_cancel', args: [], exitCode: 0, expect: 'thread_cancel: ok', maxInstructions: 10_000_000 },
  // ~44 K (parent and one forked child)
  { name: 'thread_robust', args: [], exitCode: 0, expect: 'thread_robust: ok', maxInstructions: 1_000_000 },
  // ~62 K
  { name: 'signal_pthread_kill', args: [], exitCode: 0, expect: 'signal_pthread_kill: ok', maxInstructions: 1_000_000 },
  // ~43 K
  { name: 'signal_fpe_longjmp', args: [], exitCode: 0, expect: 'caught 9 SIGFPE', maxInstructions: 1_000_000 },
  // ~40 K
  { name: 'signal_altstack', args: [], exitCode: 0, expect: 'caught stack overflow', maxInstructions: 1_000_000 },
  // ~0.2 M plus the spin that waits for SIGVTALRM: it lasts until 1 ms of
  // user time has been accounted (a tick or more natively, ~1 M
  // instructions here), so the count depends on how the kernel model
  // turns instructions into CPU time; generous on purpose
  { name: 'timer_signals', args: [], exitCode: 0, expect: 'got 3 SIGALRM', maxInstructions: 20_000_000 },
  // ~56 K over 9 processes
  { name: 'fork_pipe_wait', args: [], exitCode: 0, expect: 'fork_pipe_wait: ok', maxInstructions: 1_000_000 },
  // ~89 K over 3 processes (two of them exec /proc/self/exe)
  { name: 'spawn', args: [], exitCode: 0, expect: 'spawn: ok', maxInstructions: 1_000_000 },
  // ~42 K over 7 processes
  { name: 'child_killed', args: [], exitCode: 0, expect: 'child_killed: ok', maxInstructions: 1_000_000 },
  // ~45 K on 1 CPU, ~47 K on 2: a few K more per CPU
  { name: 'affinity_getcpu', args: [], exitCode: 0, expect: 'affinity: ok', maxInstructions: 1_000_000 },
  // ~92 K over 2 processes
  { name: 'shm_fork', args: [], exitCode: 0, expect: 'shm_fork: ok', maxInstructions: 1_000_000 },
  { name: 'signal_context', args: [], exitCode: 0, expect: 'signal_context: ok', maxInstructions: 1_000_000 },
  { name: 'signal_x87_fpe', args: [], exitCode: 0, expect: 'signal_x87_fpe: ok', maxInstructions: 1_000_000 },
];
