// Fuzzing: how many schedules a second the fuzzer runs, how long it takes
// to find each known bug, and what running the buggy program natively for
// that long finds.
//
// 1. rseq_counter 2 300 on 2 vCPUs, schedules from fuzz/generate.ts
//    (seed 1, default strategy): with the start-up snapshot (the normal
//    Runner path, through cli/fuzz-workers.ts on 1 worker and on
//    os.availableParallelism() workers), and without it (a fresh CPU and
//    Machine per schedule: createCpu, targetMachine (the Runner's machine), start-up up to the
//    first rseq registration, reseed, inject, run; in this thread only).
//    Rates are over a fixed window that starts after the campaign's
//    start-up (workers, CPUs, profiling run); that start-up is printed
//    beside them.
// 2. Each rseq_bug_* program with the tests' arguments (BUGGY_PROGRAMS):
//    the wall time until the campaign (1 worker, seed 1, default strategy)
//    finds its first failure, start-up included, and the schedules it ran.
// 3. The same program run natively in a loop for that same wall time: runs
//    and failures (a real kernel rarely preempts at the one bad instruction).
//
// Nothing here asserts anything about time.
//
//   node --import tsx bench/fuzz.ts [window ms]
import { availableParallelism, loadavg } from 'node:os';
import { createCpu } from '../emulator/index.js';
import { fuzzInWorkers } from '../cli/fuzz-workers.js';
import { profile, type CampaignSpec } from '../fuzz/campaign.js';
import { scheduleFor } from '../fuzz/generate.js';
import { Runner, targetMachine, type FuzzTarget } from '../fuzz/runner.js';
import { runNative } from '../test/programs/native.js';
import { BUGGY_PROGRAMS, fuzzTarget } from '../test/programs/rseq-machine.js';
import { dur, fmt, int, isMain, parseCount, printTable, requireProgram } from './common.js';

export const DEFAULT_FUZZ_WINDOW_MS = 3000;

const SEED = 1;

export interface ThroughputRow {
  variant: string;
  jobs: number;
  schedules: number;
  perSecond: number;
  /** Wall time before the window (workers, CPUs, start-up, profiling), ms. */
  setupMs: number;
  ok: boolean;
}

export interface BugRow {
  name: string;
  args: string[];
  found: boolean;
  k?: number;
  schedules: number;
  /** Wall time from the campaign's start until the failure was known, ms. */
  foundMs: number;
  /** Wall time of the whole campaign (shrinking and explaining included), ms. */
  totalMs: number;
  summary?: string;
  nativeRuns: number;
  nativeFailures: number;
  nativeMs: number;
}

export interface FuzzBenchResult {
  throughput: ThroughputRow[];
  /** Schedules of the no-snapshot baseline whose run matched the snapshot run (exit, stdout, instructions), of those compared. */
  sameRuns: [number, number];
  bugs: BugRow[];
  ok: boolean;
}

/** The program as `rseqlab fuzz` runs it (the guest sees /NAME). */
function target(name: string, args: string[]): FuzzTarget {
  requireProgram(name);
  return fuzzTarget(name, args);
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

/** Snapshot path: a campaign with no schedule limit for windowMs after its start-up. */
async function snapshotRate(t: FuzzTarget, jobs: number, windowMs: number): Promise<ThroughputRow> {
  const spec: CampaignSpec = { target: t, seed: SEED, schedules: Infinity };
  const t0 = process.hrtime.bigint();
  const r = await fuzzInWorkers(spec, { jobs, timeMs: windowMs, now: Date.now, loadCpu: () => createCpu() });
  const total = ms(t0);
  return { variant: 'snapshot', jobs, schedules: r.schedules, perSecond: r.schedules / (windowMs / 1000), setupMs: total - windowMs, ok: r.stoppedBy === 'time' };
}

/**
 * No snapshot: every schedule on a fresh CPU and Machine, start-up run up to
 * the main thread's first rseq registration (where the Runner snapshots, so
 * the schedule means the same), then reseed, inject and run with the
 * campaign's budget. The first `compare` schedules are also run through the
 * Runner to check both paths give the same run.
 */
async function freshRate(t: FuzzTarget, windowMs: number, compare: number): Promise<{ row: ThroughputRow; same: [number, number] }> {
  const t0 = process.hrtime.bigint();
  const runner = Runner.create(t, await createCpu());
  const { profile: p, outcome: base } = profile(runner, SEED);
  const budget = Math.min(t.maxInstructions, Math.max(2_000_000, 20 * base.retired));
  runner.budget = budget;
  const scheduleOf = (k: number) => scheduleFor(SEED, k, p, { strategy: 'mixed', kinds: ['preempt', 'migrate', 'signal'] });
  const setupMs = ms(t0);
  const runFresh = async (k: number) => {
    const s = scheduleOf(k);
    const m = targetMachine(t, await createCpu());
    const up = m.run({ maxInstructions: t.maxInstructions, until: (e) => e.kind === 'rseq' && e.what === 'register' && e.tid === 1000 });
    if (up.kind !== 'paused') throw new Error(`${t.path}: no rseq registration at start-up (${up.kind})`);
    m.reseedScheduler(s.seed);
    for (const e of s.events) m.inject(e);
    return m.run({ maxInstructions: Math.max(0, budget - up.retired) });
  };
  let schedules = 0;
  let ok = true;
  const began = Date.now();
  while (Date.now() - began < windowMs) {
    const r = await runFresh(schedules++);
    if (r.kind !== 'exited' || r.exitCode !== 0) ok = false;
  }
  const elapsed = Date.now() - began;
  let same = 0;
  for (let k = 0; k < compare; k++) {
    const a = await runFresh(k);
    const b = runner.run(scheduleOf(k));
    if (a.kind === b.kind && a.exitCode === b.exitCode && a.retired === b.retired && new TextDecoder().decode(a.stdout) === b.stdout) same++;
  }
  return { row: { variant: 'no snapshot', jobs: 1, schedules, perSecond: schedules / (elapsed / 1000), setupMs, ok }, same: [same, compare] };
}

/** Runs build/programs/<name> natively in a loop for (at least one run and) budgetMs. */
function nativeLoop(name: string, args: string[], budgetMs: number): { runs: number; failures: number; ms: number } {
  const t0 = process.hrtime.bigint();
  let runs = 0;
  let failures = 0;
  do {
    const r = runNative(name, args, undefined, 30_000);
    runs++;
    if (r.exitCode !== 0) failures++;
  } while (ms(t0) < budgetMs);
  return { runs, failures, ms: ms(t0) };
}

async function bugRow(name: string, args: string[]): Promise<BugRow> {
  const t = target(name, args);
  const t0 = process.hrtime.bigint();
  let foundMs: number | undefined;
  const r = await fuzzInWorkers({ target: t, seed: SEED }, {
    jobs: 1,
    now: Date.now,
    loadCpu: () => createCpu(),
    onProgress: (p) => {
      if (p.failures > 0 && foundMs === undefined) foundMs = ms(t0);
    },
  });
  const totalMs = ms(t0);
  const f = r.failure;
  // A failure without any schedule (k = -1) is known before any progress report.
  const when = foundMs ?? totalMs;
  const native = nativeLoop(name, args, when);
  return {
    name, args, found: f !== undefined, k: f?.k, schedules: r.schedules, foundMs: when, totalMs, summary: f?.summary,
    nativeRuns: native.runs, nativeFailures: native.failures, nativeMs: native.ms,
  };
}

export async function fuzzBench(options: { windowMs: number }): Promise<FuzzBenchResult> {
  const jobs = availableParallelism();
  const counter = target('rseq_counter', ['2', '300']);
  console.log(`\nfuzzing throughput: rseq_counter 2 300 on 2 vCPUs, seed ${SEED}, default strategy, schedules run in a ${dur(options.windowMs)} window after start-up (host: ${jobs} core${jobs === 1 ? '' : 's'} for the parallel path, load average ${fmt(loadavg()[0], 2)} before: more jobs only help on idle cores)`);
  const rows: ThroughputRow[] = [];
  rows.push(await snapshotRate(counter, 1, options.windowMs));
  if (jobs > 1) rows.push(await snapshotRate(counter, jobs, options.windowMs));
  const fresh = await freshRate(counter, options.windowMs, 5);
  rows.push(fresh.row);
  const ref = rows[0].perSecond;
  printTable(
    ['path', 'jobs', 'schedules', 'per second', 'vs snapshot 1 job', 'start-up (not in rate)', 'runs'],
    rows.map((r) => [r.variant, String(r.jobs), int(r.schedules), fmt(r.perSecond, 1), `${fmt(r.perSecond / ref, 2)}x`, dur(r.setupMs), r.ok ? 'all passed' : 'SOME FAILED']),
  );
  console.log(`  no snapshot: a fresh CPU (createCpu) and Machine per schedule, start-up re-run each time; measured on 1 core only (the parallel fuzz path always uses snapshots)`);
  console.log(`  the first ${fresh.same[1]} schedules give the same run both ways (exit, stdout, instructions): ${fresh.same[0]} of ${fresh.same[1]}`);

  console.log(`\nfuzzing the known-buggy programs: time to the first failure (1 job, seed ${SEED}, default strategy, 2 vCPUs, start-up and profiling included), and each program run natively on the host in a loop for that long`);
  const bugs: BugRow[] = [];
  for (const [name, args] of BUGGY_PROGRAMS) bugs.push(await bugRow(name, args));
  printTable(
    ['program', 'failing k', 'schedules', 'time to failure', 'with shrink', 'native runs', 'native failures'],
    bugs.map((b) => [
      [b.name, ...b.args].join(' '),
      b.found ? String(b.k) : 'none',
      int(b.schedules),
      dur(b.foundMs),
      dur(b.totalMs),
      int(b.nativeRuns),
      int(b.nativeFailures),
    ]),
  );
  for (const b of bugs) if (b.summary) console.log(`  ${b.name}: ${b.summary}`);
  console.log('  native: runs started until the fuzzer\'s time to failure had passed (at least one), a failure is a non-zero status or a signal; the host kernel rarely interrupts the one bad instruction');
  const ok = rows.every((r) => r.ok) && fresh.same[0] === fresh.same[1] && bugs.every((b) => b.found);
  return { throughput: rows, sameRuns: fresh.same, bugs, ok };
}

/** The summary lines bench/index.ts prints for this section. */
export function fuzzSummary(r: FuzzBenchResult): string[] {
  const snap = r.throughput.filter((x) => x.variant === 'snapshot');
  const fresh = r.throughput.find((x) => x.variant === 'no snapshot')!;
  const one = snap[0];
  const all = snap.length > 1 ? snap[snap.length - 1] : undefined;
  const found = r.bugs.filter((b) => b.found);
  const nativeFound = r.bugs.filter((b) => b.nativeFailures > 0);
  return [
    `  fuzzing:           rseq_counter 2 300: ${fmt(one.perSecond, 0)} schedules/s with snapshots on 1 job` +
      (all ? `, ${fmt(all.perSecond, 0)} on ${all.jobs} (${fmt(all.perSecond / one.perSecond, 2)}x)` : '') +
      `; ${fmt(fresh.perSecond, 1)}/s without snapshots on 1 (snapshots ${fmt(one.perSecond / fresh.perSecond, 1)}x faster)`,
    `  bugs found:        ${found.length} of ${r.bugs.length} rseq_bug_* programs, first failure after ${found.map((b) => dur(b.foundMs)).join(' / ')}` +
      `; natively in the same time ${nativeFound.length} of ${r.bugs.length} failed (${int(r.bugs.reduce((n, b) => n + b.nativeFailures, 0))} failures in ${int(r.bugs.reduce((n, b) => n + b.nativeRuns, 0))} runs)`,
  ];
}

if (isMain(import.meta.url)) {
  const windowMs = parseCount('window (ms)', process.argv[2], DEFAULT_FUZZ_WINDOW_MS);
  const r = await fuzzBench({ windowMs });
  console.log('\nsummary');
  for (const line of fuzzSummary(r)) console.log(line);
  process.exitCode = r.ok ? 0 : 1;
}
