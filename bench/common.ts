// Shared by the benchmarks: native timing, perf counters, emulated runs and
// table printing. Every ratio a benchmark prints is against a reference
// measured in the same run; nothing here asserts anything about time.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cpus as hostCpus } from 'node:os';
import { createCpu } from '../emulator/index.js';
import { Machine, type MachineOptions, type RunResult } from '../kernel-model/machine.js';
import { firstAllowedCpu, programPath, runNative, runNativePinned } from '../test/programs/native.js';

export const DEFAULT_REPEATS = 3;

export class BenchError extends Error {}

export function fail(message: string): never {
  throw new BenchError(message);
}

export function requireProgram(name: string): string {
  const path = programPath(name);
  if (!existsSync(path)) fail(`${path} is missing: run \`npm run build:programs\` first`);
  return path;
}

export function parseCount(what: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^[1-9]\d*$/.test(value)) fail(`${what} must be a positive integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** Host CPUs this process may run on (what the native runs can use). */
export function hostCpuCount(): number {
  try {
    const m = /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) {
      let n = 0;
      for (const part of m[1].trim().split(',')) {
        const [a, b] = part.split('-').map(Number);
        n += b === undefined ? 1 : b - a + 1;
      }
      if (n > 0) return n;
    }
  } catch {
    // not Linux: fall through
  }
  return hostCpus().length;
}

export interface NativeTiming {
  /** Best wall time of the repeats, ms, process start included. */
  ms: number;
  all: number[];
  stdout: Buffer;
}

/**
 * Runs build/programs/<name> natively `repeats` times (on one host CPU with
 * taskset when `pinned`) and keeps the best wall time. Every run must exit 0
 * and print the same bytes.
 */
export function timeNative(name: string, args: string[], repeats: number, pinned = false): NativeTiming {
  const all: number[] = [];
  let stdout: Buffer | undefined;
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    const r = pinned ? runNativePinned(name, args, firstAllowedCpu(), undefined, 120_000) : runNative(name, args, undefined, 120_000);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.exitCode !== 0) fail(`native ${name} ${args.join(' ')} exited ${r.exitCode}: ${r.stderr.toString()}`);
    if (stdout && !stdout.equals(r.stdout)) fail(`native ${name} ${args.join(' ')} printed different output in two runs`);
    stdout = r.stdout;
    all.push(ms);
  }
  return { ms: Math.min(...all), all, stdout: stdout! };
}

/** Software and hardware counters from `perf stat` (user space), or why there are none. */
export function perfCounts(path: string, args: string[], events: string[], pinned = false): Map<string, number> | string {
  const command = pinned ? ['taskset', '-c', firstAllowedCpu(), path, ...args] : [path, ...args];
  const r = spawnSync('perf', ['stat', '-x', ',', '-e', events.join(','), '--', ...command], {
    encoding: 'utf8',
    env: {},
    timeout: 60_000,
  });
  if (r.error) return `perf not available (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`;
  const counts = new Map<string, number>();
  for (const line of r.stderr.split('\n')) {
    const fields = line.split(',');
    if (fields.length < 3) continue;
    const event = events.find((e) => fields[2] === e);
    if (event && /^\d+$/.test(fields[0])) counts.set(event, Number(fields[0]));
  }
  if (counts.size === 0) {
    const last = r.stderr.trim().split('\n').pop() ?? '';
    return last.includes('<not supported>') ? `perf cannot count ${events.join(', ')} here (<not supported>)` : `perf counted nothing (${last || `status ${r.status}`})`;
  }
  return counts;
}

/** Native instruction count from `perf stat`, or why there is none. */
export function perfInstructions(path: string, args: string[]): number | string {
  const counts = perfCounts(path, args, ['instructions:u']);
  if (typeof counts === 'string') return counts;
  return counts.get('instructions:u') ?? 'perf cannot count instructions:u here';
}

export interface EmulatedRun {
  /** Best host wall time of machine.run() over the repeats, ms. */
  ms: number;
  all: number[];
  result: RunResult;
  stdout: Buffer;
  /** Context switches per vCPU (Kernel vcpus[i].switches). */
  switches: number[];
  /** CPU time of all threads together, ns (the vCPUs' user time: 1 ns per instruction). */
  cpuNs: bigint;
}

/**
 * Runs build/programs/<name> in a fresh Machine (seed 1) `repeats` times and
 * keeps the best wall time of machine.run(). The seed fixes every choice, so
 * each repeat does exactly the same work; only the host's noise differs.
 * Loading (wasm instantiation, ELF parsing and mapping) is not timed, the
 * guest's own start-up (glibc init) is.
 */
export async function timeEmulated(
  name: string,
  args: string[],
  cpus: number,
  repeats: number,
  machineOptions: Pick<MachineOptions, 'memoryBytes'> = {},
): Promise<EmulatedRun> {
  const path = requireProgram(name);
  const program = new Uint8Array(readFileSync(path));
  const all: number[] = [];
  let best: EmulatedRun | undefined;
  for (let i = 0; i < repeats; i++) {
    const machine = Machine.create({ cpu: await createCpu(), program, path, argv: [path, ...args], seed: 1, cpus, ...machineOptions });
    const t0 = process.hrtime.bigint();
    const result = machine.run({ maxInstructions: 20e9 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (result.kind !== 'exited') {
      fail(`emulated ${name} ${args.join(' ')} on ${cpus} vCPU(s) ended ${result.kind}${result.message ? `: ${result.message}` : ''}`);
    }
    all.push(ms);
    if (!best || ms < best.ms) {
      best = {
        ms,
        all,
        result,
        stdout: Buffer.from(result.stdout.buffer, result.stdout.byteOffset, result.stdout.byteLength),
        switches: machine.kernel.vcpus.map((v) => v.switches),
        cpuNs: machine.kernel.vcpus.reduce((n, v) => n + v.userNs, 0n),
      };
    }
  }
  return best!;
}

export function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

export function fmt(n: number, digits = 2): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function int(n: number | bigint): string {
  return n.toLocaleString('en-US');
}

/** A duration in ms, with a unit that keeps 3-4 significant digits. */
export function dur(ms: number): string {
  if (ms >= 1000) return `${fmt(ms / 1000, 3)} s`;
  if (ms >= 1) return `${fmt(ms, 1)} ms`;
  if (ms >= 0.001) return `${fmt(ms * 1000, 2)} µs`;
  return `${fmt(ms * 1e6, 0)} ns`;
}

export function runs(all: number[]): string {
  return all.length > 1 ? `best of ${all.length}: ${all.map((ms) => dur(ms)).join(', ')}` : 'one run';
}

/** Prints rows as a table: the first column left-aligned, the others right-aligned. */
export function printTable(header: string[], rows: string[][], indent = '  '): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    indent + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  console.log(line(header));
  console.log(indent + widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/** True when this module is the script node was started with (not imported by bench/index.ts). */
/**
 * The command line of a benchmark whose only option is --repeats N (`node
 * --import tsx bench/NAME.ts [--repeats N]`): runs it and sets the exit
 * status; a BenchError is one line on stderr.
 */
export async function mainWithRepeats(name: string, defaultRepeats: number, bench: (o: { repeats: number }) => Promise<{ ok: boolean }>): Promise<void> {
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: process.argv.slice(2), options: { repeats: { type: 'string' } } });
    } catch (e) {
      throw new BenchError(`${(e as Error).message}; usage: bench/${name}.ts [--repeats N]`);
    }
    const r = await bench({ repeats: parseCount('--repeats', parsed.values.repeats, defaultRepeats) });
    process.exitCode = r.ok ? 0 : 1;
  } catch (e) {
    if (!(e instanceof BenchError)) throw e;
    console.error(`bench/${name}: ${e.message}`);
    process.exitCode = 1;
  }
}

export function isMain(importMetaUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  const here = new URL(importMetaUrl).pathname;
  return here === script || here.replace(/\.ts$/, '') === script.replace(/\.ts$/, '');
}
