// Memory benchmark: a guest filling fresh memory (build/programs/bench_memory:
// malloc + memset + one read per page) at 64 MiB, 256 MiB and 1 GiB beside
// its native run and beside the plain-code MIPS of cpubench runs
// interleaved with it (a shared host's load drifts, so both must see the
// same); the same gigabyte filled again over touched memory, to tell the
// cost of fresh pages from the cost of the stores; what a machine snapshot
// and restore cost with 1 GiB touched; and what dozens of live machines in
// one process hold.
//
//   npm run bench                                     # this, with the others (bench/index.ts)
//   node --import tsx bench/memory.ts [--repeats N]   # this one alone
//
// A fresh page costs the host a page fault whatever runs on it (the OS
// zero-fills it on first write); natively the same program pays the same,
// so the native column is the floor, not the instruction rate.
import { readFileSync } from 'node:fs';
import { createCpu, type WasmCpu } from '../emulator/index.js';
import { Machine } from '../kernel-model/machine.js';
import {
  BenchError, DEFAULT_REPEATS, dur, fmt, isMain, mainWithRepeats, printTable, requireProgram, timeEmulated, timeNative, type EmulatedRun,
} from './common.js';

/** Sizes filled, MiB; the last is the headline. */
const SIZES = [64, 256, 1024];
/** Enough for 1 GiB of guest pages and the program: the default 1 GiB machine would OOM-kill it. */
const MACHINE_BYTES = 2 * 2 ** 30;
const NATIVE_REPEATS = 3;
const MACHINES = 50;

export interface MemoryBenchResult {
  ok: boolean;
  /** Emulated MIPS filling 1 GiB of fresh memory. */
  freshMips: number;
  /** The same instructions over memory already touched. */
  touchedMips: number;
  /** MIPS of the 1 GiB fresh run with the host's page-fault time (measured natively) taken out. */
  ownMips: number;
  /** Plain-code MIPS measured beside the 1 GiB runs. */
  plainMips: number;
  freshMs: number;
  nativeFreshMs: number;
  snapshotMs: number;
  restoreMs: number;
}

const mib = (bytes: number) => `${fmt(bytes / 2 ** 20, 1)} MiB`;

function rssBytes(): number {
  return process.memoryUsage().rss;
}

/** Plain code for the reference: cpubench rounds (~2.6 M instructions each). */
const PLAIN_ROUNDS = '40';

/**
 * The best of `repeats` emulated runs of bench_memory with `args`, each
 * right after a cpubench run, and the best of those: the plain-code MIPS
 * under the same host load (a shared host's load drifts between sections).
 */
async function besidePlain(args: string[], repeats: number): Promise<{ emu: EmulatedRun; plainMips: number }> {
  let emu: EmulatedRun | undefined;
  let plainMips = 0;
  for (let i = 0; i < repeats; i++) {
    const plain = await timeEmulated('cpubench', [PLAIN_ROUNDS], 1, 1);
    plainMips = Math.max(plainMips, plain.result.retired / plain.ms / 1000);
    const run = await timeEmulated('bench_memory', args, 1, 1, { memoryBytes: MACHINE_BYTES });
    if (!emu || run.ms < emu.ms) emu = run;
  }
  return { emu: emu!, plainMips };
}

export async function memoryBench(options: { repeats?: number } = {}): Promise<MemoryBenchResult> {
  const repeats = options.repeats ?? DEFAULT_REPEATS;
  requireProgram('bench_memory');
  requireProgram('cpubench');
  let ok = true;
  console.log(`memory: bench_memory fills fresh memory (malloc + memset + one read per page); machines of ${mib(MACHINE_BYTES)}`);

  const rows: string[][] = [];
  let fresh = { ms: 0, mips: 0, nativeMs: 0, retired: 0, plainMips: 0 };
  const row = (label: string, emu: EmulatedRun, plainMips: number, nativeMs: number, same: boolean) => {
    const mips = emu.result.retired / emu.ms / 1000;
    rows.push([
      label, fmt(emu.result.retired / 1e6, 1), dur(emu.ms), fmt(mips, 1), fmt(plainMips, 1), `${fmt((100 * mips) / plainMips, 0)}%`,
      dur(nativeMs), `${fmt(emu.ms / nativeMs, 1)}x`, same ? 'yes' : 'NO',
    ]);
    return mips;
  };
  for (const size of SIZES) {
    const args = [String(size)];
    const native = timeNative('bench_memory', args, NATIVE_REPEATS);
    const { emu, plainMips } = await besidePlain(args, repeats);
    const same = emu.stdout.equals(native.stdout) && emu.result.exitCode === 0;
    ok &&= same;
    const mips = row(`${size} MiB fresh`, emu, plainMips, native.ms, same);
    if (size === SIZES[SIZES.length - 1]) fresh = { ms: emu.ms, mips, nativeMs: native.ms, retired: emu.result.retired, plainMips };
  }
  // The same gigabyte of memset over 64 MiB already touched: no fresh pages.
  const touchedArgs = ['64', '16'];
  const tn = timeNative('bench_memory', touchedArgs, NATIVE_REPEATS);
  const { emu: te, plainMips: tPlain } = await besidePlain(touchedArgs, repeats);
  const tsame = te.stdout.equals(tn.stdout);
  ok &&= tsame;
  const touchedMips = row('64 MiB x 16 touched', te, tPlain, tn.ms, tsame);
  printTable(['run', 'M instr', 'emulated', 'MIPS', 'plain MIPS', 'of plain', 'native', 'slowdown', 'same output'], rows);
  console.log(
    `  emulated runs best of ${repeats}, each right after a cpubench ${PLAIN_ROUNDS} run (plain MIPS: the best of those, same host load); ` +
      `native best of ${NATIVE_REPEATS} (process start included)`,
  );
  // The host's share: natively, 1 GiB fresh less the same stores over touched memory is the page faults
  // (the OS zero-filling 262,144 fresh pages), which the emulator's wasm memory pays just the same.
  const faultMs = Math.max(0, fresh.nativeMs - tn.ms);
  const ownMips = faultMs < fresh.ms ? fresh.retired / (fresh.ms - faultMs) / 1000 : NaN;
  console.log(
    `  host page faults (native 1 GiB fresh less native 1 GiB over touched memory): ~${dur(faultMs)}; the emulated 1 GiB run less that: ` +
      `${dur(fresh.ms - faultMs)}, ${fmt(ownMips, 1)} MIPS (${fmt((100 * ownMips) / fresh.plainMips, 0)}% of plain)`,
  );

  // Snapshot and restore with 1 GiB touched: paused at printf's newfstatat of stdout, after the fill and before the free.
  const path = requireProgram('bench_memory');
  const program = new Uint8Array(readFileSync(path));
  const cpu = (await createCpu()) as WasmCpu;
  const machine = Machine.create({ cpu, program, path, argv: [path, '1024'], seed: 1, memoryBytes: MACHINE_BYTES });
  const paused = machine.run({ maxInstructions: 20e9, until: (e) => e.kind === 'syscall' && e.name === 'newfstatat' });
  if (paused.kind !== 'paused') throw new BenchError(`bench_memory 1024 did not reach its printf: ${paused.kind} ${paused.message ?? ''}`);
  const touched = cpu.framesInUse() * 4096;
  const t0 = performance.now();
  const snap = machine.snapshot();
  const snapshotMs = performance.now() - t0;
  const restores: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r0 = performance.now();
    machine.restore(snap);
    restores.push(performance.now() - r0);
  }
  const restoreMs = Math.min(...restores);
  const r1 = performance.now();
  const end = machine.run({ maxInstructions: 1e9 });
  const finishMs = performance.now() - r1;
  ok &&= end.kind === 'exited' && end.exitCode === 0;
  machine.releaseSnapshot(snap);
  console.log(
    `  snapshot with ${mib(touched)} touched: ${dur(snapshotMs)}; restore ${dur(restoreMs)} (best of ${restores.length}); ` +
      `running on from the restored state to exit ${dur(finishMs)}; page tables ${mib(cpu.pageTableBytes())}`,
  );

  // Dozens of live machines in one process, each having run hello.
  const hello = requireProgram('hello');
  const helloBytes = new Uint8Array(readFileSync(hello));
  const rss0 = rssBytes();
  const live: { cpu: WasmCpu; machine: Machine }[] = [];
  const c0 = performance.now();
  for (let i = 0; i < MACHINES; i++) {
    const c = (await createCpu()) as WasmCpu;
    const m = Machine.create({ cpu: c, program: helloBytes, path: hello, argv: [hello], envp: [], seed: 1 });
    const r = m.run({ maxInstructions: 1e9 });
    ok &&= r.kind === 'exited' && r.exitCode === 0;
    live.push({ cpu: c, machine: m });
  }
  const createMs = performance.now() - c0;
  const wasmBytes = live.reduce((n, l) => n + l.cpu.hostMemoryBytes(), 0);
  const usedBytes = live.reduce((n, l) => n + l.cpu.hostBytesInUse(), 0);
  console.log(
    `  ${MACHINES} live machines after hello: created and run in ${dur(createMs)}; wasm memory ${mib(wasmBytes / MACHINES)} each ` +
      `(${mib(usedBytes / MACHINES)} allocated, the rest grown ahead and not backed until used); process RSS +${mib(rssBytes() - rss0)}`,
  );
  return {
    ok, freshMips: fresh.mips, touchedMips, ownMips, plainMips: fresh.plainMips, freshMs: fresh.ms, nativeFreshMs: fresh.nativeMs, snapshotMs, restoreMs,
  };
}

if (isMain(import.meta.url)) await mainWithRepeats('memory', DEFAULT_REPEATS, memoryBench);
