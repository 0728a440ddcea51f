// Runs the guest programs on the host, to give the emulated runs something
// to be compared with. Native runs only: no emulator or kernel-model imports.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
  const r = spawnSync(path, [...args], {
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
        ? `${name} ${args.join(' ')} did not finish within ${timeoutMs} ms natively`
        : `cannot run ${path}: ${r.error.message}`,
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
];
