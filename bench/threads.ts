// Threads benchmark: the cost of a context switch (bench_pingpong) and a
// 4-thread program on 4 vCPUs (bench_threads), each emulated beside its
// native wall time, outputs compared, ratios against references measured in
// this same run.
//
//   npm run bench                                   # bench/cpu.ts, then this
//   node --import tsx bench/threads.ts [--pingpong K] [--rounds R] [--repeats N]
//
// bench_pingpong K: two threads hand a token back and forth K times through
// one futex word. Emulated on 1 vCPU every hand-off is a context switch; on
// 2 vCPUs the threads run side by side and a hand-off often finds the other
// thread still running (no switch). Natively it runs on all the host's CPUs
// and pinned to one (taskset), whose context switches perf counts.
//
// bench_threads R: 4 threads each run R rounds of cpubench's work on private
// buffers. Every instruction takes 1 ns of its vCPU's clock, so on 4 vCPUs
// the machine's virtual time should be about a quarter of the threads' CPU
// time added up; on 1 vCPU the two are equal. The host runs the emulator on
// one thread either way, so emulated wall time does not shrink with vCPUs.
import { parseArgs } from 'node:util';
import {
  BenchError,
  DEFAULT_REPEATS,
  type EmulatedRun,
  type NativeTiming,
  dur,
  fmt,
  hostCpuCount,
  int,
  isMain,
  parseCount,
  perfCounts,
  printTable,
  requireProgram,
  runs,
  timeEmulated,
  timeNative,
} from './common.js';

export const DEFAULT_PINGPONG = 20_000;
/** 4 threads x 10 rounds: about 100 M instructions, as many as cpubench's default 40 rounds. */
export const DEFAULT_THREAD_ROUNDS = 10;
const THREADS = 4;
const NATIVE_REPEATS = 5;

export interface ThreadsBenchOptions {
  pingpong?: number;
  rounds?: number;
  repeats?: number;
  /** Emulated single-thread MIPS measured earlier in this run (cpubench), for the ratios. */
  singleThreadMips?: number;
}

export interface ThreadsBenchResult {
  ok: boolean;
  /** Host time per context switch on 1 vCPU beyond executing the instructions, ms. */
  switchOverheadMs: number;
  pingpong: {
    roundTrips: number;
    native: NativeTiming;
    nativePinned: NativeTiming;
    nativeSwitches?: number;
    nativePinnedSwitches?: number;
    emu1: EmulatedRun;
    emu2: EmulatedRun;
  };
  threads: {
    rounds: number;
    native: NativeTiming;
    nativePinned: NativeTiming;
    emu4: EmulatedRun;
    emu1: EmulatedRun;
  };
}

function outputCell(run: { stdout: Buffer }, reference: Buffer): string {
  return run.stdout.equals(reference) ? 'identical' : 'DIFFERENT';
}

function ms(ns: bigint): number {
  return Number(ns) / 1e6;
}

function mips(run: EmulatedRun): number {
  return run.result.retired / run.ms / 1000;
}

export async function threadsBench(options: ThreadsBenchOptions = {}): Promise<ThreadsBenchResult> {
  const k = options.pingpong ?? DEFAULT_PINGPONG;
  const rounds = options.rounds ?? DEFAULT_THREAD_ROUNDS;
  const repeats = options.repeats ?? DEFAULT_REPEATS;
  const host = hostCpuCount();
  const allCpus = `all ${host} host CPU${host === 1 ? '' : 's'}`;
  const pingpongPath = requireProgram('bench_pingpong');
  const threadsPath = requireProgram('bench_threads');
  let ok = true;
  const start = timeNative('hello', [], NATIVE_REPEATS);

  // --- context switches ------------------------------------------------------
  const ppArgs = [String(k)];
  const native = timeNative('bench_pingpong', ppArgs, NATIVE_REPEATS);
  const nativePinned = timeNative('bench_pingpong', ppArgs, NATIVE_REPEATS, true);
  const perfFree = perfCounts(pingpongPath, ppArgs, ['context-switches']);
  const perfPinned = perfCounts(pingpongPath, ppArgs, ['context-switches'], true);
  const emu1 = await timeEmulated('bench_pingpong', ppArgs, 1, repeats);
  const emu2 = await timeEmulated('bench_pingpong', ppArgs, 2, repeats);
  const nativeSwitches = typeof perfFree === 'string' ? undefined : perfFree.get('context-switches');
  const nativePinnedSwitches = typeof perfPinned === 'string' ? undefined : perfPinned.get('context-switches');
  const handOffs = 2 * k;

  // --- 4 threads: measured now, printed after the context switches ------------
  const thArgs = [String(rounds), String(THREADS)];
  const thNative = timeNative('bench_threads', thArgs, NATIVE_REPEATS);
  const thPinned = timeNative('bench_threads', thArgs, NATIVE_REPEATS, true);
  const perfInstr = perfCounts(threadsPath, thArgs, ['instructions:u']);
  const nativeInstr = typeof perfInstr === 'string' ? undefined : perfInstr.get('instructions:u');
  const emu4 = await timeEmulated('bench_threads', thArgs, 4, repeats);
  const emuOne = await timeEmulated('bench_threads', thArgs, 1, repeats);

  // Executing speed of plain instructions: this run's cpubench if it ran, else bench_threads on 1 vCPU.
  const refMips = options.singleThreadMips ?? mips(emuOne);
  const refName = options.singleThreadMips ? 'cpubench' : 'bench_threads on 1 vCPU';

  console.log(`\nbench_pingpong ${k}: context switches (2 threads hand a token back and forth through a futex; a round trip is 2 hand-offs)`);
  // Wall time per switch only where (about) every hand-off is one.
  const ppRow = (label: string, wall: number, vs: string, switches: number | undefined, emu?: EmulatedRun, output = 'reference') => [
    label,
    dur(wall),
    dur(wall / k),
    vs,
    switches === undefined ? 'n/a' : int(switches),
    switches && switches >= handOffs * 0.9 ? dur(wall / switches) : '-',
    emu ? int(emu.result.retired) : 'n/a',
    emu ? dur(ms(emu.result.timeNs)) : '-',
    output,
  ];
  printTable(
    ['run', 'wall time', 'per round trip', 'vs native', 'switches', 'per switch', 'instructions', 'virtual time', 'output'],
    [
      ppRow(`native, ${allCpus}`, native.ms, '', nativeSwitches),
      ppRow('native, 1 host CPU (taskset)', nativePinned.ms, '', nativePinnedSwitches, undefined, outputCell(nativePinned, native.stdout)),
      ppRow('emulated, 1 vCPU', emu1.ms, `${fmt(emu1.ms / nativePinned.ms, 1)}x 1 CPU`, emu1.switches[0], emu1, outputCell(emu1, native.stdout)),
      ppRow('emulated, 2 vCPUs', emu2.ms, `${fmt(emu2.ms / native.ms, 1)}x ${host} CPUs`, emu2.switches.reduce((a, b) => a + b, 0), emu2, outputCell(emu2, native.stdout)),
    ],
  );
  if (typeof perfFree === 'string') console.log(`  native context switches: ${perfFree}`);
  const perHandOff = emu1.result.retired / handOffs;
  console.log('  switches: the machine\'s context switches (all vCPUs), natively perf stat\'s context-switches; per switch: wall time / switches, where every hand-off is one');
  console.log(`  per hand-off on 1 vCPU: ${fmt(perHandOff, 0)} instructions, ${dur(emu1.ms / handOffs)} of host time, one context switch`);
  console.log(
    `  on 2 vCPUs (switches ${emu2.switches.map(int).join(' + ')}) most of the ${int(handOffs)} hand-offs need no switch: a system call takes no virtual time, ` +
      `so the woken thread flips the word before the waker's FUTEX_WAIT, which then returns EAGAIN (natively waking takes microseconds)`,
  );
  const executeMs = emu1.result.retired / refMips / 1000;
  const overhead = (emu1.ms - executeMs) / emu1.switches[0];
  console.log(
    `  executing those instructions at this run's ${refName} speed (${fmt(refMips, 1)} MIPS) would take ${dur(executeMs)} of the ${dur(emu1.ms)}; ` +
      `the rest, ${dur(overhead)} per context switch, is the kernel model's futex wait/wake and switch`,
  );
  console.log(`  native times: best of ${NATIVE_REPEATS}, including process start (hello: ${dur(start.ms)}); emulated: machine.run(), ${runs(emu1.all)} (1 vCPU), ${runs(emu2.all)} (2 vCPUs)`);
  for (const r of [nativePinned, emu1, emu2]) if (!r.stdout.equals(native.stdout)) ok = false;

  // --- 4 threads on 4 vCPUs ---------------------------------------------------

  console.log(`\nbench_threads ${rounds} ${THREADS}: ${THREADS} threads, each ${rounds} rounds of cpubench's work on private buffers, joined`);
  const thRow = (label: string, wall: number, vs: string, emu?: EmulatedRun, output = 'reference') => {
    const instructions = emu ? emu.result.retired : nativeInstr;
    return [
      label,
      dur(wall),
      vs,
      instructions === undefined ? 'n/a' : int(instructions),
      instructions === undefined ? 'n/a' : fmt(instructions / wall / 1000, 1),
      emu ? dur(ms(emu.result.timeNs)) : '-',
      emu ? dur(ms(emu.cpuNs)) : '-',
      emu ? `${fmt(Number(emu.cpuNs) / Number(emu.result.timeNs), 2)}x` : '-',
      output,
    ];
  };
  printTable(
    ['run', 'wall time', 'vs native', 'instructions', 'MIPS', 'virtual time', 'CPU time', 'CPU/virtual', 'output'],
    [
      thRow(`native, ${allCpus}`, thNative.ms, ''),
      thRow('native, 1 host CPU (taskset)', thPinned.ms, '', undefined, outputCell(thPinned, thNative.stdout)),
      thRow('emulated, 4 vCPUs', emu4.ms, `${fmt(emu4.ms / thNative.ms, 1)}x ${host} CPUs`, emu4, outputCell(emu4, thNative.stdout)),
      thRow('emulated, 1 vCPU', emuOne.ms, `${fmt(emuOne.ms / thPinned.ms, 1)}x 1 CPU`, emuOne, outputCell(emuOne, thNative.stdout)),
    ],
  );
  if (nativeInstr === undefined && typeof perfInstr === 'string') console.log(`  native instructions: n/a: ${perfInstr}`);
  console.log('  virtual time: the machine\'s clock at exit; CPU time: all threads\' CPU time added up (1 ns per instruction); CPU/virtual: how many threads ran at once on average');
  const speedup = Number(emuOne.result.timeNs) / Number(emu4.result.timeNs);
  console.log(
    `  parallel speedup in virtual time: 1 vCPU ${dur(ms(emuOne.result.timeNs))} / 4 vCPUs ${dur(ms(emu4.result.timeNs))} = ${fmt(speedup, 2)}x (ideal ${THREADS}x); ` +
      `host wall time 4 vCPUs / 1 vCPU = ${fmt(emu4.ms / emuOne.ms, 2)} (the emulator runs every vCPU on one host thread)`,
  );
  if (options.singleThreadMips) {
    console.log(`  emulated MIPS over all threads vs this run's single-thread cpubench (${fmt(options.singleThreadMips, 1)} MIPS): 4 vCPUs ${fmt((100 * mips(emu4)) / options.singleThreadMips, 1)}%, 1 vCPU ${fmt((100 * mips(emuOne)) / options.singleThreadMips, 1)}%`);
  }
  console.log(`  context switches: 4 vCPUs ${emu4.switches.map(int).join(' + ')}, 1 vCPU ${int(emuOne.switches[0])}`);
  console.log(`  native times: best of ${NATIVE_REPEATS}, including process start (hello: ${dur(start.ms)}); emulated: machine.run(), ${runs(emu4.all)} (4 vCPUs), ${runs(emuOne.all)} (1 vCPU)`);
  for (const r of [thPinned, emu4, emuOne]) if (!r.stdout.equals(thNative.stdout)) ok = false;

  const outputs = ok ? 'identical' : 'NOT identical';
  console.log(`\noutput of every emulated run vs its native run: ${outputs}`);
  if (!ok) {
    for (const [name, ref, list] of [
      ['bench_pingpong', native, { 'native 1 CPU': nativePinned, 'emulated 1 vCPU': emu1, 'emulated 2 vCPUs': emu2 }],
      ['bench_threads', thNative, { 'native 1 CPU': thPinned, 'emulated 4 vCPUs': emu4, 'emulated 1 vCPU': emuOne }],
    ] as const) {
      for (const [label, r] of Object.entries(list)) {
        if (!r.stdout.equals(ref.stdout)) console.error(`${name} native:\n${ref.stdout.toString()}${name} ${label}:\n${r.stdout.toString()}`);
      }
    }
  }
  return {
    ok,
    switchOverheadMs: overhead,
    pingpong: { roundTrips: k, native, nativePinned, nativeSwitches, nativePinnedSwitches, emu1, emu2 },
    threads: { rounds, native: thNative, nativePinned: thPinned, emu4, emu1: emuOne },
  };
}

export const THREADS_USAGE = 'bench/threads.ts [--pingpong K] [--rounds R] [--repeats N]';

export function parseThreadsArgs(args: string[]): ThreadsBenchOptions {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { pingpong: { type: 'string' }, rounds: { type: 'string' }, repeats: { type: 'string' } } });
  } catch (e) {
    throw new BenchError(`${(e as Error).message}; usage: ${THREADS_USAGE}`);
  }
  const v = parsed.values;
  return {
    pingpong: parseCount('--pingpong', v.pingpong, DEFAULT_PINGPONG),
    rounds: parseCount('--rounds', v.rounds, DEFAULT_THREAD_ROUNDS),
    repeats: parseCount('--repeats', v.repeats, DEFAULT_REPEATS),
  };
}

if (isMain(import.meta.url)) {
  try {
    const r = await threadsBench(parseThreadsArgs(process.argv.slice(2)));
    process.exitCode = r.ok ? 0 : 1;
  } catch (e) {
    if (!(e instanceof BenchError)) throw e;
    console.error(`bench/threads: ${e.message}`);
    process.exitCode = 1;
  }
}
