// Write watches (Cpu.setWriteWatches): what a watched page costs its other
// stores, and that a run without watches is as fast as before.
//
//   node --import tsx bench/write-watch.ts [--wasm path/to/emulator.wasm] [--iterations N] [--repeats N]
//
// One guest loop, 8 stores and 10 instructions an iteration, all into one
// page, run in four settings:
//   no watches          nothing watched (the fast path everywhere)
//   other page          rseq-like watches on another page
//   same page, no hit   watches on the loop's page, no store hits them
//                       (every store takes the slow path's watched branch)
//   (loop with no stores, as a reference for the loop overhead)
// --wasm runs another build (say, one from before watches existed; settings
// that need setWriteWatches are then skipped), to compare two builds on one
// machine in one sitting. Nothing here asserts anything about time.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createCpu, PROT_EXEC, PROT_READ, PROT_WRITE, Reg, StopReason } from '../emulator/index.js';
import { BenchError, fmt, isMain, parseCount, printTable } from './common.js';

const CODE = 0x400000;
const DATA = 0x600000;
const OTHER = 0x700000;
const RSEQ_OFFSET = 0x800;

// rcx iterations of: mov [rdi + k*8], rax for k = 0..7 (bytes 0..63 of the page); dec rcx; jnz
const STORE_LOOP = [
  0x48, 0x89, 0x07, 0x48, 0x89, 0x47, 0x08, 0x48, 0x89, 0x47, 0x10, 0x48, 0x89, 0x47, 0x18,
  0x48, 0x89, 0x47, 0x20, 0x48, 0x89, 0x47, 0x28, 0x48, 0x89, 0x47, 0x30, 0x48, 0x89, 0x47, 0x38,
  0x48, 0xff, 0xc9, 0x75, 0xdc, 0xf4,
];
// the same shape with register moves instead of stores
const REG_LOOP = [
  0x48, 0x89, 0xc3, 0x48, 0x89, 0xc2, 0x48, 0x89, 0xc6, 0x49, 0x89, 0xc0,
  0x49, 0x89, 0xc1, 0x49, 0x89, 0xc2, 0x49, 0x89, 0xc3, 0x49, 0x89, 0xc4,
  0x48, 0xff, 0xc9, 0x75, 0xe3, 0xf4,
];

interface Setting {
  name: string;
  code: number[];
  /** Watches to set, or undefined for none (works on builds without setWriteWatches). */
  watches?: { address: number; length: number }[];
}

function rseqWatches(base: number) {
  return [{ address: base + RSEQ_OFFSET, length: 8 }, { address: base + RSEQ_OFFSET + 20, length: 8 }];
}

const SETTINGS: Setting[] = [
  { name: 'no watches', code: STORE_LOOP },
  { name: 'watches on another page', code: STORE_LOOP, watches: rseqWatches(OTHER) },
  { name: 'watches on the same page, no hit', code: STORE_LOOP, watches: rseqWatches(DATA) },
  { name: 'loop without stores (reference)', code: REG_LOOP },
];

async function measure(wasm: Uint8Array | undefined, s: Setting, iterations: number, repeats: number): Promise<number | undefined> {
  const cpu = await createCpu(wasm);
  if (s.watches) {
    try {
      cpu.setWriteWatches(s.watches);
    } catch {
      return undefined; // a build without write watches
    }
  }
  const ctx = cpu.createContext();
  cpu.map(CODE, 0x1000, PROT_READ | PROT_EXEC);
  cpu.map(DATA, 0x1000, PROT_READ | PROT_WRITE);
  cpu.map(OTHER, 0x1000, PROT_READ | PROT_WRITE);
  cpu.write(CODE, Uint8Array.from(s.code));
  let best = Infinity;
  for (let r = 0; r < repeats + 1; r++) {
    ctx.rip = BigInt(CODE);
    ctx.gpr[Reg.RCX] = BigInt(iterations);
    ctx.gpr[Reg.RDI] = BigInt(DATA);
    const t0 = process.hrtime.bigint();
    const stop = cpu.run(ctx, 1e12);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (stop.reason !== StopReason.Hlt) throw new BenchError(`${s.name}: stopped with ${StopReason[stop.reason]}, not at the hlt`);
    if (r > 0) best = Math.min(best, ms); // the first run warms up the engine's tiers
  }
  return best;
}

export async function writeWatchBench(options: { wasm?: string; iterations?: number; repeats?: number } = {}): Promise<void> {
  const wasm = options.wasm ? new Uint8Array(readFileSync(options.wasm)) : undefined;
  const iterations = options.iterations ?? 2_000_000;
  const repeats = options.repeats ?? 5;
  console.log(`write watches: ${iterations.toLocaleString('en-US')} iterations of 8 stores (10 instructions), best of ${repeats}${options.wasm ? `, ${options.wasm}` : ''}`);
  const rows: string[][] = [];
  for (const s of SETTINGS) {
    const ms = await measure(wasm, s, iterations, repeats);
    const insns = iterations * 10; // both loops: 8 moves, dec, jnz
    rows.push([s.name, ms === undefined ? 'n/a' : fmt(ms, 1), ms === undefined ? 'n/a' : fmt(insns / ms / 1e3, 0), ms === undefined ? 'n/a' : fmt((ms * 1e6) / (iterations * 8), 2)]);
  }
  printTable(['setting', 'ms', 'MIPS', 'ns/store'], rows);
}

if (isMain(import.meta.url)) {
  const { values: v } = parseArgs({ options: { wasm: { type: 'string' }, iterations: { type: 'string' }, repeats: { type: 'string' } } });
  writeWatchBench({
    wasm: v.wasm,
    iterations: parseCount('--iterations', v.iterations, 2_000_000),
    repeats: parseCount('--repeats', v.repeats, 5),
  }).catch((e) => {
    console.error(e instanceof BenchError ? e.message : e);
    process.exit(1);
  });
}
