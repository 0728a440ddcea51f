// Start-up benchmark: what creating a machine and running hello costs, the
// price every test and every fuzzer run pays before its own work, beside
// hello's native wall time (process start included) from the same run.
//
//   npm run bench                                   # this, with the others (bench/index.ts)
//   node --import tsx bench/startup.ts [--repeats N]   # this one alone (default 20)
//
// A run is createCpu() (a wasm instance of the module compiled once per
// process), Machine.create() (kernel model, ELF loading, the initial stack)
// and machine.run() of hello to its exit; the best and the median of the
// repeats are printed, the best with its three parts. Compiling the module,
// paid once per process, is timed on its own.
import { readFileSync } from 'node:fs';
import { createCpu, WasmCpu } from '../emulator/index.js';
import { Machine } from '../kernel-model/machine.js';
import { dur, fmt, isMain, mainWithRepeats, requireProgram, timeNative } from './common.js';

export const DEFAULT_STARTUP_REPEATS = 20;
const NATIVE_REPEATS = 5;

/**
 * Before the decode cache and the host allocator stopped clearing memory at
 * creation (measured in another run on the same host, 30 repeats, twice):
 * createCpu 22-25 ms (clearing ~38 MiB of tables), create + hello 30-33 ms
 * best and 39-41 ms median. Printed as a reference, never as a measurement
 * of this run.
 */
export const BEFORE_LAZY_CACHE = { createCpuMs: 23, totalMs: 31, medianTotalMs: 40, memoryMiB: 38.25 };

export interface StartupBenchResult {
  ok: boolean;
  /** Best create + run of hello, ms, and its parts. */
  totalMs: number;
  createCpuMs: number;
  machineMs: number;
  runMs: number;
  medianTotalMs: number;
  /** Compiling build/emulator.wasm (once per process), ms. */
  compileMs: number;
  /** Wasm memory allocated by a fresh CPU, and after hello ran, bytes (WasmCpu.hostBytesInUse). */
  freshBytes: number;
  afterHelloBytes: number;
  /** The size wasm memory grew to after hello (it grows ahead of need, in large steps). */
  afterHelloGrownBytes: number;
  /** hello's native wall time, best of NATIVE_REPEATS, process start included. */
  nativeMs: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mib = (bytes: number) => `${fmt(bytes / 2 ** 20, 2)} MiB`;

export async function startupBench(options: { repeats?: number } = {}): Promise<StartupBenchResult> {
  const repeats = options.repeats ?? DEFAULT_STARTUP_REPEATS;
  const path = requireProgram('hello');
  const program = new Uint8Array(readFileSync(path));
  const native = timeNative('hello', [], NATIVE_REPEATS);

  const wasmBytes = readFileSync(new URL('../build/emulator.wasm', import.meta.url));
  const c0 = process.hrtime.bigint();
  await WebAssembly.compile(wasmBytes);
  const compileMs = Number(process.hrtime.bigint() - c0) / 1e6;

  const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;
  const runsMs: { total: number; cpu: number; machine: number; run: number }[] = [];
  let ok = true;
  let freshBytes = 0;
  let afterHelloBytes = 0;
  let afterHelloGrownBytes = 0;
  // One run first so createCpu's module compilation (cached per process) is not in the figures.
  await createCpu();
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    const cpu = await createCpu();
    const t1 = process.hrtime.bigint();
    if (i === 0) freshBytes = (cpu as WasmCpu).hostBytesInUse();
    const machine = Machine.create({ cpu, program, path, argv: [path], envp: [], seed: 1 });
    const t2 = process.hrtime.bigint();
    const result = machine.run({ maxInstructions: 1e9 });
    const t3 = process.hrtime.bigint();
    if (i === 0) {
      afterHelloBytes = (cpu as WasmCpu).hostBytesInUse();
      afterHelloGrownBytes = (cpu as WasmCpu).hostMemoryBytes();
    }
    const out = Buffer.from(result.stdout.buffer, result.stdout.byteOffset, result.stdout.byteLength);
    if (result.kind !== 'exited' || result.exitCode !== 0 || !out.equals(native.stdout)) ok = false;
    runsMs.push({ total: ms(t0, t3), cpu: ms(t0, t1), machine: ms(t1, t2), run: ms(t2, t3) });
  }
  const best = runsMs.reduce((a, b) => (b.total < a.total ? b : a));
  const med = median(runsMs.map((r) => r.total));

  console.log(`start-up: create a machine and run hello (${repeats} times, each a fresh machine)`);
  console.log(`  native hello:          ${dur(native.ms)} (best of ${NATIVE_REPEATS}, process start included)`);
  console.log(`  output identical:      ${ok ? 'yes (every emulated run printed the native bytes and exited 0)' : 'NO'}`);
  console.log(
    `  create + run hello:    ${dur(best.total)} best (createCpu ${dur(best.cpu)}, Machine.create ${dur(best.machine)}, run ${dur(best.run)}), ` +
      `${dur(med)} median; ${fmt(best.total / native.ms, 1)}x native`,
  );
  console.log(
    `  wasm memory:           ${mib(freshBytes)} allocated by a fresh CPU, ${mib(afterHelloBytes)} after hello ` +
      `(memory grown to ${mib(afterHelloGrownBytes)}: it grows by a quarter at a time, backed only when used)`,
  );
  console.log(`  compiling the module:  ${dur(compileMs)} (once per process, not in the figures above)`);
  const b = BEFORE_LAZY_CACHE;
  console.log(
    `  before creation was made O(1) (another run, not measured now): createCpu ~${b.createCpuMs} ms, create + hello ~${b.totalMs} ms best, ` +
      `~${b.medianTotalMs} ms median, ${fmt(b.memoryMiB, 2)} MiB for a fresh CPU`,
  );
  return {
    ok, totalMs: best.total, createCpuMs: best.cpu, machineMs: best.machine, runMs: best.run, medianTotalMs: med,
    compileMs, freshBytes, afterHelloBytes, afterHelloGrownBytes, nativeMs: native.ms,
  };
}

if (isMain(import.meta.url)) await mainWithRepeats('startup', DEFAULT_STARTUP_REPEATS, startupBench);
