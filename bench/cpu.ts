// CPU benchmark: build/programs/cpubench on the host and in the emulator with
// the same round count, outputs compared, ratios printed from this one run.
//
//   npm run bench                 # 40 rounds (~105 M instructions)
//   npm run bench -- 200          # another round count
//
// One cpubench round is about 2.6 M instructions (measured with ptrace
// single-stepping and callgrind on gcc 12 / glibc 2.36), so 40 rounds take
// about 2 s at 50 MIPS. Natively the default 1000 rounds take ~0.5 s.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { programPath, repoRoot, runNative } from '../test/programs/native.js';

const DEFAULT_ROUNDS = 40;
const NATIVE_REPEATS = 3;

interface RunProgramResult {
  exitCode: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
  signal?: number;
  /** Instructions retired by the whole guest. */
  retired?: number;
}
type RunProgram = (options: {
  path: string;
  argv: string[];
  stdin?: Uint8Array;
  maxInstructions?: number;
}) => Promise<RunProgramResult>;

function fail(message: string): never {
  console.error(`bench/cpu: ${message}`);
  process.exit(1);
}

async function loadRunProgram(): Promise<RunProgram> {
  if (!existsSync(join(repoRoot, 'kernel-model', 'run.ts'))) {
    fail('kernel-model/run.ts does not exist yet, so cpubench cannot run in the emulator. Nothing to compare.');
  }
  const specifier = '../kernel-model/run.js'; // a variable, so tsc does not need the module to exist
  const mod = (await import(specifier)) as { runProgram?: RunProgram };
  if (typeof mod.runProgram !== 'function') fail('kernel-model/run.ts does not export runProgram');
  return mod.runProgram;
}

/** Native instruction count from `perf stat`, or why there is none. */
function perfInstructions(path: string, args: string[]): number | string {
  const r = spawnSync('perf', ['stat', '-x', ',', '-e', 'instructions:u', '--', path, ...args], {
    encoding: 'utf8',
    env: {},
    timeout: 60_000,
  });
  if (r.error) return `perf not available (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`;
  const line = r.stderr.split('\n').find((l) => l.includes('instructions'));
  const value = line?.split(',')[0];
  if (!value || !/^\d+$/.test(value)) return `perf cannot count instructions here (${value ?? r.stderr.trim().split('\n').pop()})`;
  return Number(value);
}

function fmt(n: number, digits = 2): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  const rounds = process.argv[2] ?? String(DEFAULT_ROUNDS);
  if (!/^[1-9]\d*$/.test(rounds)) fail(`round count must be a positive integer, got ${JSON.stringify(rounds)}`);
  const path = programPath('cpubench');
  if (!existsSync(path)) fail(`${path} is missing: run \`npm run build:programs\` first`);

  // Native: best wall time of a few runs.
  let nativeMs = Infinity;
  let nativeOut: Buffer | undefined;
  for (let i = 0; i < NATIVE_REPEATS; i++) {
    const t0 = process.hrtime.bigint();
    const r = runNative('cpubench', [rounds], undefined, 120_000);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.exitCode !== 0) fail(`native cpubench exited ${r.exitCode}: ${r.stderr.toString()}`);
    nativeMs = Math.min(nativeMs, ms);
    nativeOut = r.stdout;
  }
  const nativeInstructions = perfInstructions(path, [rounds]);
  console.log(`cpubench ${rounds} rounds`);
  console.log(`  native wall time:      ${fmt(nativeMs, 1)} ms (best of ${NATIVE_REPEATS}, including process start)`);
  console.log(
    typeof nativeInstructions === 'number'
      ? `  native instructions:   ${nativeInstructions.toLocaleString('en-US')} (perf stat, user space)`
      : `  native instructions:   n/a: ${nativeInstructions}`,
  );

  // Emulated: one run.
  const runProgram = await loadRunProgram();
  const t0 = process.hrtime.bigint();
  const emu = await runProgram({ path, argv: [path, rounds] });
  const emuMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const emuOut = Buffer.from(emu.stdout.buffer, emu.stdout.byteOffset, emu.stdout.byteLength);

  const same = nativeOut !== undefined && emuOut.equals(nativeOut) && emu.exitCode === 0 && emu.signal === undefined;
  console.log(`  output identical:      ${same ? 'yes' : 'NO'}`);
  if (typeof emu.retired === 'number') {
    console.log(`  instructions retired:  ${emu.retired.toLocaleString('en-US')} (emulated)`);
  } else {
    console.log('  instructions retired:  n/a (runProgram returned no `retired` count)');
  }
  console.log(`  emulated wall time:    ${fmt(emuMs / 1000, 3)} s`);
  if (typeof emu.retired === 'number') console.log(`  emulated speed:        ${fmt(emu.retired / emuMs / 1000)} MIPS`);
  console.log(`  slowdown:              ${fmt(emuMs / nativeMs, 1)}x`);
  if (!same) {
    console.error(`\nnative output (exit 0):\n${nativeOut?.toString()}`);
    console.error(`emulated output (exit ${emu.exitCode}${emu.signal !== undefined ? `, signal ${emu.signal}` : ''}):\n${emuOut.toString()}`);
    process.exit(1);
  }
}

await main();
