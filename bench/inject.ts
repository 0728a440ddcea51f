// Injection overhead: cpubench with a preemption injected every 1, 10, 100
// and 1000 instructions (chaos mode limited to preemptions, on 1 vCPU so
// every preemption is a context switch away and back), beside the plain
// run's MIPS measured in the same process, each over the same first
// instructions of the run (a preemption per instruction makes a whole run
// too long to wait for). One full run with a preemption every 100
// instructions must print what the plain run prints.
//
//   node --import tsx bench/inject.ts [instructions]
import { readFileSync } from 'node:fs';
import { createCpu } from '../emulator/index.js';
import { Machine } from '../kernel-model/machine.js';
import { fmt, int, isMain, parseCount, printTable, requireProgram } from './common.js';

export interface InjectBenchResult {
  plainMips: number;
  rows: { every: number; mips: number; injected: number; ok: boolean }[];
}

async function runOnce(program: Uint8Array, path: string, budget: number, every: number | undefined) {
  const m = Machine.create({ cpu: await createCpu(), program, path, argv: [path, '1'], seed: 1, cpus: 1 });
  if (every !== undefined) m.setChaos({ perThousand: 1000 / every, events: ['preempt'] });
  let injected = 0;
  m.onEvent((e) => {
    if (e.kind === 'inject') injected++;
  });
  const t0 = process.hrtime.bigint();
  const r = m.run({ maxInstructions: budget });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { r, ms, injected, stdout: new TextDecoder().decode(r.stdout) };
}

export async function injectBench(options: { instructions: number; repeats: number }): Promise<InjectBenchResult> {
  const path = requireProgram('cpubench');
  const program = new Uint8Array(readFileSync(path));
  const best = async (every: number | undefined) => {
    let b: Awaited<ReturnType<typeof runOnce>> | undefined;
    for (let i = 0; i < options.repeats; i++) {
      const r = await runOnce(program, path, options.instructions, every);
      if (!b || r.ms < b.ms) b = r;
    }
    return b!;
  };
  console.log(`\ninjection overhead: the first ${int(options.instructions)} instructions of cpubench 1 on 1 vCPU with a preemption injected on average every N instructions (chaos mode, preemptions only), best of ${options.repeats}`);
  const plain = await best(undefined);
  const full = async (every: number | undefined) => {
    const m = Machine.create({ cpu: await createCpu(), program, path, argv: [path, '1'], seed: 1, cpus: 1 });
    if (every !== undefined) m.setChaos({ perThousand: 1000 / every, events: ['preempt'] });
    const r = m.run({ maxInstructions: 20e9 });
    return { out: new TextDecoder().decode(r.stdout), code: r.exitCode };
  };
  const whole = await full(undefined);
  const whole100 = await full(100);
  const sameOutput = whole.out === whole100.out && whole100.code === 0;
  const plainMips = plain.r.retired / plain.ms / 1000;
  const rows: InjectBenchResult['rows'] = [];
  const table: string[][] = [['none', fmt(plainMips, 1), '100.0%', '0', 'reference']];
  for (const every of [1000, 100, 10, 1]) {
    const run = await best(every);
    const mips = run.r.retired / run.ms / 1000;
    const ok = run.r.retired === plain.r.retired;
    rows.push({ every, mips, injected: run.injected, ok });
    table.push([`every ${every}`, fmt(mips, 2), `${fmt((100 * mips) / plainMips, 1)}%`, int(run.injected), ok ? 'same count' : 'DIFFERS']);
  }
  table[0][4] = 'reference';
  printTable(['preemption', 'MIPS', 'of plain', 'preemptions', 'instructions'], table);
  console.log(`  a whole cpubench 1 run with a preemption every 100 instructions prints ${sameOutput ? 'the same bytes as the plain run' : 'SOMETHING ELSE THAN THE PLAIN RUN'}`);
  rows.push({ every: 100, mips: NaN, injected: 0, ok: sameOutput });
  console.log('  every preemption is a context switch away and back with the rseq preempt event; cpubench has no critical section, so the cost is the machine\'s, not the guest\'s');
  return { plainMips, rows };
}

if (isMain(import.meta.url)) {
  const instructions = parseCount('instruction count', process.argv[2], 1_000_000);
  const r = await injectBench({ instructions, repeats: 2 });
  process.exitCode = r.rows.every((x) => x.ok) ? 0 : 1;
}
