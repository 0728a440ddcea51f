// CPU benchmark: build/programs/cpubench on the host and in the emulator with
// the same round count, outputs compared, ratios printed from this one run.
//
//   npm run bench                 # this, then bench/threads.ts (bench/index.ts)
//   npm run bench -- 200          # another cpubench round count
//   node --import tsx bench/cpu.ts [rounds] [--repeats N]   # this one alone
//
// One cpubench round is about 2.6 M instructions (measured with ptrace
// single-stepping and callgrind on gcc 12 / glibc 2.36), so the default 40
// rounds are about 100 M instructions, under a second at 150 MIPS.
// Natively the default 1000 rounds take ~0.5 s.
import { parseArgs } from 'node:util';
import { runProgram } from '../test/programs/run-program.js';
import { runNative } from '../test/programs/native.js';
import { BenchError, DEFAULT_REPEATS, dur, fmt, isMain, parseCount, perfInstructions, requireProgram, runs } from './common.js';

const DEFAULT_ROUNDS = 40;
const NATIVE_REPEATS = 3;

/**
 * The figure the previous session measured (cpubench 40 rounds: 100.4 M
 * instructions, 149 MIPS, native 20.6 ms). It comes from another run on
 * another day's machine load, so it is printed as a reference, never as a
 * measurement of this run.
 */
export const PREVIOUS_SESSION = { mips: 149, rounds: 40, instructions: 100.4e6, nativeMs: 20.6 };

export interface CpuBenchResult {
  ok: boolean;
  /** Emulated MIPS of the best run. */
  mips: number;
  nativeMs: number;
  /** Best emulated wall time, ms. */
  emuMs: number;
  retired: number;
}

export async function cpuBench(options: { rounds?: number; repeats?: number } = {}): Promise<CpuBenchResult> {
  const rounds = String(options.rounds ?? DEFAULT_ROUNDS);
  const repeats = options.repeats ?? DEFAULT_REPEATS;
  const path = requireProgram('cpubench');

  // Native: best wall time of a few runs.
  let nativeMs = Infinity;
  let nativeOut: Buffer | undefined;
  for (let i = 0; i < NATIVE_REPEATS; i++) {
    const t0 = process.hrtime.bigint();
    const r = runNative('cpubench', [rounds], undefined, 120_000);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.exitCode !== 0) throw new BenchError(`native cpubench exited ${r.exitCode}: ${r.stderr.toString()}`);
    nativeMs = Math.min(nativeMs, ms);
    nativeOut = r.stdout;
  }
  const nativeInstructions = perfInstructions(path, [rounds]);
  console.log(`cpubench ${rounds} rounds (single thread)`);
  console.log(`  native wall time:      ${fmt(nativeMs, 1)} ms (best of ${NATIVE_REPEATS}, including process start)`);
  console.log(
    typeof nativeInstructions === 'number'
      ? `  native instructions:   ${nativeInstructions.toLocaleString('en-US')} (perf stat, user space)`
      : `  native instructions:   n/a: ${nativeInstructions}`,
  );

  // Emulated: the whole runProgram (wasm instance, ELF loading, run), best of a few runs.
  const all: number[] = [];
  let emuMs = Infinity;
  let emu: Awaited<ReturnType<typeof runProgram>> | undefined;
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    const r = await runProgram({ path, argv: [path, rounds] });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    all.push(ms);
    if (ms < emuMs) {
      emuMs = ms;
      emu = r;
    }
  }
  const e = emu!;
  const emuOut = Buffer.from(e.stdout.buffer, e.stdout.byteOffset, e.stdout.byteLength);

  const same = nativeOut !== undefined && emuOut.equals(nativeOut) && e.exitCode === 0 && e.signal === undefined;
  const mips = e.retired / emuMs / 1000;
  console.log(`  output identical:      ${same ? 'yes (native and emulated stdout are the same bytes)' : 'NO'}`);
  console.log(`  instructions retired:  ${e.retired.toLocaleString('en-US')} (emulated)`);
  console.log(`  emulated wall time:    ${fmt(emuMs / 1000, 3)} s (${runs(all)}; runProgram: instantiation, loading and run)`);
  console.log(`  emulated speed:        ${fmt(mips)} MIPS`);
  console.log(`  slowdown:              ${fmt(emuMs / nativeMs, 1)}x`);
  const p = PREVIOUS_SESSION;
  console.log(
    `  previous session's figure (another run, not measured now): ${p.mips} MIPS for cpubench ${p.rounds} rounds ` +
      `(${fmt(p.instructions / 1e6, 1)} M instructions, native ${dur(p.nativeMs)});`,
  );
  console.log(
    `    this run's ${fmt(mips, 1)} MIPS is ${fmt((100 * mips) / p.mips, 1)}% of it` +
      (rounds === String(p.rounds) ? '' : ` (with ${rounds} rounds instead of ${p.rounds}: not the same workload)`),
  );
  if (!same) {
    console.error(`\nnative output (exit 0):\n${nativeOut?.toString()}`);
    console.error(`emulated output (exit ${e.exitCode}${e.signal !== undefined ? `, signal ${e.signal}` : ''}):\n${emuOut.toString()}`);
  }
  return { ok: same, mips, nativeMs, emuMs, retired: e.retired };
}

export function parseCpuArgs(args: string[]): { rounds?: number; repeats?: number } {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { repeats: { type: 'string' } } });
  } catch (e) {
    throw new BenchError(`${(e as Error).message}; usage: bench/cpu.ts [rounds] [--repeats N]`);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new BenchError(`usage: bench/cpu.ts [rounds] [--repeats N]`);
  return {
    rounds: parseCount('round count', positionals[0], DEFAULT_ROUNDS),
    repeats: parseCount('--repeats', values.repeats, DEFAULT_REPEATS),
  };
}

if (isMain(import.meta.url)) {
  try {
    const r = await cpuBench(parseCpuArgs(process.argv.slice(2)));
    process.exitCode = r.ok ? 0 : 1;
  } catch (e) {
    if (!(e instanceof BenchError)) throw e;
    console.error(`bench/cpu: ${e.message}`);
    process.exitCode = 1;
  }
}
