// `npm run bench`: every benchmark in one run, each emulated run beside its
// native wall time, ratios only against references measured in this run.
//
//   npm run bench                          # cpubench 40 rounds, pingpong 20000, bench_threads 10 x 4
//   npm run bench -- 200                   # cpubench 200 rounds
//   npm run bench -- --pingpong 50000 --rounds 20 --repeats 5
//
// 1. bench/cpu.ts: single-thread MIPS (cpubench), with the previous
//    session's figure as a reference from another run;
// 2. bench/threads.ts: the cost of a context switch (bench_pingpong on 1
//    and 2 vCPUs) and a 4-thread program on 4 vCPUs (bench_threads, also
//    on 1 vCPU), with virtual-time speedup;
// 3. bench/inject.ts: the cost of injected preemptions every 1, 10, 100
//    and 1000 instructions beside the plain run;
// 4. bench/startup.ts: the time to create a machine and run hello (what
//    every test and fuzzer run pays first) beside native hello;
// 5. bench/memory.ts: MIPS of a guest filling 64 MiB, 256 MiB and 1 GiB of
//    fresh memory (bench_memory) beside its native run and the plain-code
//    MIPS of cpubench runs interleaved with it, the same fill over touched memory, a machine snapshot
//    and restore with 1 GiB touched, and 50 live machines in one process;
// 6. bench/fuzz.ts: fuzzing schedules per second (rseq_counter, with and
//    without the start-up snapshot, 1 and all cores), the time to the first
//    failure of each rseq_bug_* program, and what running each natively for
//    that long finds.
// 7. bench/web.ts: the playground in headless Chromium: navigation to the
//    first step shown, beside the same step in Node, and the compressed
//    size of what the page downloaded.
// 8. bench/web-fuzz.ts: the page's fuzzer in its Web Worker beside the same
//    campaign in Node on one thread (schedules/s).
// Exits 1 if any emulated output differs from its native run, or the fuzz
// section's runs fail or disagree, or it finds no failure in a buggy program.
import { parseArgs } from 'node:util';
import { BenchError, DEFAULT_REPEATS, dur, fmt, hostCpuCount, parseCount } from './common.js';
import { PREVIOUS_SESSION, cpuBench } from './cpu.js';
import { DEFAULT_PINGPONG, DEFAULT_THREAD_ROUNDS, threadsBench } from './threads.js';
import { injectBench } from './inject.js';
import { DEFAULT_STARTUP_REPEATS, startupBench } from './startup.js';
import { DEFAULT_FUZZ_WINDOW_MS, fuzzBench, fuzzSummary } from './fuzz.js';
import { memoryBench } from './memory.js';
import { DEFAULT_WEB_REPEATS, webBench, webSummary } from './web.js';
import { DEFAULT_WEB_FUZZ_REPEATS, webFuzzBench, webFuzzSummary } from './web-fuzz.js';

const USAGE = 'npm run bench -- [cpubench rounds] [--pingpong K] [--rounds R] [--repeats N]';

async function main(): Promise<boolean> {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: { pingpong: { type: 'string' }, rounds: { type: 'string' }, repeats: { type: 'string' } },
    });
  } catch (e) {
    throw new BenchError(`${(e as Error).message}; usage: ${USAGE}`);
  }
  const { values: v, positionals } = parsed;
  if (positionals.length > 1) throw new BenchError(`usage: ${USAGE}`);
  const repeats = parseCount('--repeats', v.repeats, DEFAULT_REPEATS);
  const cpubenchRounds = parseCount('cpubench round count', positionals[0], 40);
  const pingpong = parseCount('--pingpong', v.pingpong, DEFAULT_PINGPONG);
  const rounds = parseCount('--rounds', v.rounds, DEFAULT_THREAD_ROUNDS);

  const host = hostCpuCount();
  console.log(`rseqlab benchmarks: host with ${host} CPU${host === 1 ? '' : 's'} available, Node ${process.version}; emulated runs are best of ${repeats}, native best of 3-5 (the host may be shared)\n`);
  const cpu = await cpuBench({ rounds: cpubenchRounds, repeats });
  const th = await threadsBench({ pingpong, rounds, repeats, singleThreadMips: cpu.mips });
  const inj = await injectBench({ instructions: 1_000_000, repeats });
  console.log('');
  const st = await startupBench({ repeats: DEFAULT_STARTUP_REPEATS });
  console.log('');
  const mem = await memoryBench({ repeats });
  const fz = await fuzzBench({ windowMs: DEFAULT_FUZZ_WINDOW_MS });
  const web = await webBench({ repeats: DEFAULT_WEB_REPEATS });
  const webFuzz = await webFuzzBench({ repeats: DEFAULT_WEB_FUZZ_REPEATS });

  const p = th.pingpong;
  const t = th.threads;
  const nativeSwitch = p.nativePinnedSwitches ? p.nativePinned.ms / p.nativePinnedSwitches : undefined;
  console.log('\nsummary (this run)');
  console.log(
    `  single thread:     ${fmt(cpu.mips, 1)} MIPS emulated (cpubench ${cpubenchRounds}), ${fmt(cpu.emuMs / cpu.nativeMs, 0)}x native wall time; ` +
      `${fmt((100 * cpu.mips) / PREVIOUS_SESSION.mips, 1)}% of the previous session's ${PREVIOUS_SESSION.mips} MIPS (a figure from another run)`,
  );
  console.log(
    `  context switch:    ${dur(p.emu1.ms / p.emu1.switches[0])} host time per switch emulated on 1 vCPU (${dur(th.switchOverheadMs)} beyond its instructions)` +
      (nativeSwitch ? `, native on 1 CPU ${dur(nativeSwitch)} (${fmt(p.emu1.ms / p.emu1.switches[0] / nativeSwitch, 1)}x)` : ''),
  );
  console.log(
    `  4 threads:         ${dur(t.emu4.ms)} on 4 vCPUs vs ${dur(t.native.ms)} native on ${host} CPUs (${fmt(t.emu4.ms / t.native.ms, 0)}x), ` +
      `${fmt(t.emu4.result.retired / t.emu4.ms / 1000, 1)} MIPS over all threads; virtual time ${fmt(Number(t.emu1.result.timeNs) / Number(t.emu4.result.timeNs), 2)}x shorter than on 1 vCPU`,
  );
  console.log(`  injection:         a preemption every 1000 / 100 / 10 / 1 instructions runs at ${inj.rows.filter((r) => !Number.isNaN(r.mips)).map((r) => `${fmt((100 * r.mips) / inj.plainMips, 0)}%`).join(' / ')} of the plain ${fmt(inj.plainMips, 1)} MIPS`);
  console.log(
    `  start-up:          ${dur(st.totalMs)} to create a machine and run hello (best of ${DEFAULT_STARTUP_REPEATS}; median ${dur(st.medianTotalMs)}; createCpu ${dur(st.createCpuMs)}), ` +
      `native hello ${dur(st.nativeMs)} with process start (${fmt(st.totalMs / st.nativeMs, 1)}x)`,
  );
  console.log(
    `  fresh memory:      ${fmt(mem.freshMips, 1)} MIPS filling 1 GiB of fresh memory (${fmt((100 * mem.freshMips) / mem.plainMips, 0)}% of the plain ${fmt(mem.plainMips, 1)} MIPS measured beside it; ` +
      `${fmt(mem.touchedMips, 1)} MIPS over touched memory, ${fmt(mem.ownMips, 1)} without the host's page faults), ${dur(mem.freshMs)} vs ${dur(mem.nativeFreshMs)} native (${fmt(mem.freshMs / mem.nativeFreshMs, 1)}x); ` +
      `snapshot ${dur(mem.snapshotMs)}, restore ${dur(mem.restoreMs)} with 1 GiB touched`,
  );
  for (const line of fuzzSummary(fz)) console.log(line);
  console.log(`  playground:        ${webSummary(web)}`);
  console.log(`  page fuzzing:      ${webFuzzSummary(webFuzz)}`);
  const ok = cpu.ok && th.ok && inj.rows.every((r) => r.ok) && st.ok && mem.ok;
  console.log(`  outputs:           ${ok ? 'every emulated run printed the same bytes as its native run' : 'SOME EMULATED OUTPUT DIFFERS FROM NATIVE'}`);
  if (!fz.ok) console.log('  fuzz:              A RUN FAILED OR DIFFERED WITHOUT SNAPSHOTS, OR A BUGGY PROGRAM WAS NOT FOUND (see the fuzzing tables)');
  if (!web.ok) console.log('  playground:        THE PAGE DID NOT STEP THE PROGRAM IT WAS MEANT TO (see the playground table)');
  if (!webFuzz.ok) console.log('  page fuzzing:      THE PAGE AND NODE DID NOT RUN THE SAME CAMPAIGN (see the page fuzzing lines)');
  return ok && fz.ok && web.ok && webFuzz.ok;
}

try {
  process.exitCode = (await main()) ? 0 : 1;
} catch (e) {
  if (!(e instanceof BenchError)) throw e;
  console.error(`bench: ${e.message}`);
  process.exitCode = 1;
}
