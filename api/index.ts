// The Node API: `import { fuzz, explore, replay } from 'rseqlab'` (package.json
// "exports" points here, bundled into dist/api.mjs with declarations in
// dist/types/). The functions return the same objects `rseqlab fuzz --json`
// and `rseqlab explore --json` print; they take a program by path or bytes and options with the CLI's
// defaults. Errors in the input (a missing program, a corrupt replay file,
// an unknown kernel profile) are thrown as RseqlabInputError.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createCpu } from '../emulator/index.js';
import { mergeShards, sha256, type FuzzProgress, type FuzzResult, type KernelName } from '../fuzz/campaign.js';
import { explain } from '../fuzz/explain.js';
import { explore as exploreProgram, type ExploreProgress, type ExploreResult } from '../fuzz/explore.js';
import type { EventKind, Strategy } from '../fuzz/generate.js';
import { judge, type Failure } from '../fuzz/judge.js';
import { parseReplay, ReplayFormatError, type ReplayFile } from '../fuzz/replay-file.js';
import { Runner, type FuzzTarget, type RunOutcome } from '../fuzz/runner.js';
import { ScheduleFormatError } from '../fuzz/schedule.js';
import { ElfError, parseElf } from '../kernel-model/elf.js';
import { isKernelProfileName, KERNEL_PROFILE_NAMES } from '../kernel-model/kernel-profile.js';
import { fuzzInWorkers, saveReplay, writeReplayFile } from '../cli/fuzz-workers.js';
import { exploreReplayName } from '../cli/explore.js';

export type { FuzzFailure, FuzzProgress, FuzzResult, KernelName, KernelVerdict, SectionCoverage } from '../fuzz/campaign.js';
export type { ExploreKindCoverage, ExploreLevel, ExploreProgress, ExploreResult, ExploreSection } from '../fuzz/explore.js';
export type { EventKind, Strategy } from '../fuzz/generate.js';
export type { Failure, FailureKind } from '../fuzz/judge.js';
export type { ReplayFile } from '../fuzz/replay-file.js';
export type { RunOutcome } from '../fuzz/runner.js';
export { mergeShards };

/** A bad program, replay file or option. */
export class RseqlabInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RseqlabInputError';
  }
}

/** The program and the machine, as `rseqlab fuzz` takes them. */
export interface ProgramOptions {
  /** The program: a host path, or its bytes (then `path` is its name in the guest and in results). */
  program: string | Uint8Array;
  /** argv[0] and the guest path (default: the host path, or "program"). */
  path?: string;
  args?: string[];
  /** Virtual CPUs (default 2, at most 64). */
  cpus?: number;
  /** Instructions one run may take (default 200000000). */
  maxInstructions?: number;
  /** Checker findings kill, as on a CONFIG_DEBUG_RSEQ kernel. */
  debugRseq?: boolean;
  /** The guest environment (default empty). */
  env?: string[];
}

export interface FuzzApiOptions extends ProgramOptions {
  /** A kernel profile ('4.18', '6.3', '6.19', '7.0', 'current'), or several: a kernel differential. Default 'current'. */
  kernel?: KernelName | KernelName[];
  /** Campaign seed (default 1): schedule k depends only on (seed, k). */
  seed?: number;
  /** Schedules to run over all shards (default 2000; no limit when only `time` is given). */
  schedules?: number;
  /** Stop starting schedules after this many seconds. */
  time?: number;
  events?: EventKind[];
  strategy?: Strategy;
  /** Worker threads (default: os.availableParallelism()). The result does not depend on it. */
  jobs?: number;
  /** Run only schedules k with k % count === index (index from 0: `--shard 1/4` is { index: 0, count: 4 }). */
  shard?: { index: number; count: number };
  /** Write the failure's replay file into this directory (and set failure.replayPath). */
  out?: string;
  onProgress?: (p: FuzzProgress) => void;
}

function bad(message: string): never {
  throw new RseqlabInputError(message);
}

function kernelName(k: unknown): KernelName {
  if (typeof k !== 'string' || !isKernelProfileName(k)) bad(`kernel ${String(k)}: unknown kernel profile; choose one of ${KERNEL_PROFILE_NAMES.join(', ')}`);
  return k;
}

function readProgram(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as { code?: string }).code;
    return bad(`cannot read program ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

function targetOf(o: ProgramOptions, kernel: KernelName): FuzzTarget {
  const program = typeof o.program === 'string' ? readProgram(o.program) : o.program;
  // As the CLI does: the guest sees /NAME, so results do not depend on the host directory.
  const path = o.path ?? (typeof o.program === 'string' ? `/${basename(o.program)}` : '/program');
  try {
    parseElf(program);
  } catch (e) {
    if (e instanceof ElfError) bad(`${path}: ${e.message}`);
    throw e;
  }
  const cpus = o.cpus ?? 2;
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > 64) bad(`cpus ${cpus}: 1 to 64`);
  const maxInstructions = o.maxInstructions ?? 200_000_000;
  if (!Number.isSafeInteger(maxInstructions) || maxInstructions < 1) bad(`maxInstructions ${maxInstructions}: a positive integer`);
  return { program, path, args: [...(o.args ?? [])], cpus, kernel, debugRseq: o.debugRseq ?? false, maxInstructions, env: [...(o.env ?? [])] };
}

/**
 * Fuzzes a program: runs schedules of injected preemptions, migrations and
 * signals until one fails, then shrinks and explains it. The same result
 * `rseqlab fuzz --json` prints.
 */
export async function fuzz(o: FuzzApiOptions): Promise<FuzzResult> {
  const kernels = [...new Set((Array.isArray(o.kernel) ? o.kernel : [o.kernel ?? 'current']).map(kernelName))];
  if (kernels.length === 0) bad('kernel: name at least one kernel profile');
  const events = o.events ?? ['preempt', 'migrate', 'signal'];
  for (const e of events) if (e !== 'preempt' && e !== 'migrate' && e !== 'signal') bad(`events: unknown event kind ${String(e)} (preempt, migrate, signal)`);
  if (events.length === 0) bad('events: name at least one kind');
  const strategy = o.strategy ?? 'mixed';
  if (strategy !== 'random' && strategy !== 'pct' && strategy !== 'mixed') bad(`strategy ${String(strategy)}: random, pct or mixed`);
  if (o.time !== undefined && !(o.time > 0)) bad(`time ${o.time}: seconds > 0`);
  const schedules = o.schedules ?? (o.time !== undefined ? Infinity : 2000);
  if (!(schedules === Infinity || (Number.isSafeInteger(schedules) && schedules >= 1))) bad(`schedules ${schedules}: a positive integer`);
  if (o.jobs !== undefined && !(Number.isInteger(o.jobs) && o.jobs >= 1)) bad(`jobs ${o.jobs}: a positive integer`);
  const seed = o.seed ?? 1;
  if (!Number.isSafeInteger(seed) || seed < 0) bad(`seed ${seed}: a non-negative integer`);
  if (o.shard && !(Number.isInteger(o.shard.index) && Number.isInteger(o.shard.count) && o.shard.index >= 0 && o.shard.index < o.shard.count)) bad(`shard: expected { index, count } with 0 <= index < count`);
  const target = targetOf(o, kernels[0]);
  const result = await fuzzInWorkers(
    { target, kernels, seed, schedules, strategy, events, ...(o.shard ? { shard: o.shard } : {}) },
    { jobs: o.jobs, timeMs: o.time !== undefined ? o.time * 1000 : undefined, now: () => performance.now(), onProgress: o.onProgress, loadCpu: () => createCpu() },
  );
  if (o.out !== undefined) writeReplayFile(o.out, result, typeof o.program === 'string' ? o.program : undefined);
  return result;
}

export interface ExploreApiOptions extends ProgramOptions {
  /** The kernel profile (default 'current'). */
  kernel?: KernelName;
  /** The scheduler seed of every run, and of sampled combinations (default 1). */
  seed?: number;
  events?: EventKind[];
  /** At most this many injected events per run (1 to 4, default 1). */
  bound?: number;
  /** Visits of each point to try, spread from the first to the last (default 3). */
  hits?: number;
  /** Instructions before each section (in its function) explored too (default 8). */
  before?: number;
  /** Runs per bound level above 1 (default 1000). */
  combinations?: number;
  /** Write the failure's replay file into this directory (and set failure.replayPath). */
  out?: string;
  onProgress?: (p: ExploreProgress) => void;
}

/**
 * Explores a program systematically: every critical section, every
 * instruction offset and every event kind, with at most `bound` injected
 * events per run. The same result `rseqlab explore --json` prints.
 */
export async function explore(o: ExploreApiOptions): Promise<ExploreResult> {
  const target = targetOf(o, kernelName(o.kernel ?? 'current'));
  const events = o.events ?? ['preempt', 'migrate', 'signal'];
  for (const e of events) if (e !== 'preempt' && e !== 'migrate' && e !== 'signal') bad(`events: unknown event kind ${String(e)} (preempt, migrate, signal)`);
  const seed = o.seed ?? 1;
  if (!Number.isSafeInteger(seed) || seed < 0) bad(`seed ${seed}: a non-negative integer`);
  const count = (name: string, v: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min && v <= max)) bad(`${name} ${v}: an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}`);
  };
  count('bound', o.bound, 1, 4);
  count('hits', o.hits, 1, 1000);
  count('before', o.before, 0);
  count('combinations', o.combinations, 1);
  const result = await exploreProgram({
    target, cpu: await createCpu(), seed, events, bound: o.bound, hits: o.hits, before: o.before, combinations: o.combinations,
    now: () => performance.now(), onProgress: o.onProgress,
  });
  if (result.coverage.sections.length === 0 && !result.failure) bad(`${target.path}: lists no rseq critical section (__rseq_cs_ptr_array): nothing to explore`);
  // Named as rseqlab explore names it.
  if (result.failure && o.out !== undefined) saveReplay(o.out, exploreReplayName(target.path, seed, result.failure.k), result.failure, typeof o.program === 'string' ? o.program : target.path);
  return result;
}

export interface ReplayResult {
  /** The schedule code that was run, and the kernel profile. */
  schedule: string;
  kernel: string;
  /** What the run did: its ending, output, checker findings, injected events that fired, rseq events. */
  outcome: RunOutcome;
  /** The judge's failure, absent when the run passed. */
  failure?: Failure;
  /** What the replay file says the failure was. */
  expected: ReplayFile['expect'];
  /** The run failed in the class the file expects (same kind and status, signal or rule). */
  reproduced: boolean;
  /** The lines `rseqlab replay` prints after the program's output. */
  explanation: string[];
  /** The exit status `rseqlab replay` exits with: the program's (128+N for signal N), 124 out of budget, 125 deadlock. */
  exitStatus: number;
}

/**
 * Reruns a failure: `replay(path)` of a replay file (the program is read
 * from the path it names), or `replay({ replay, program })` with the file's
 * object or text and the program (bytes or a path) when it lives elsewhere.
 * The program must be the one the failure was found in (its SHA-256).
 */
export async function replay(input: string | { replay: ReplayFile | string; program?: Uint8Array | string }): Promise<ReplayResult> {
  const where = typeof input === 'string' ? input : 'replay';
  let text: string;
  if (typeof input === 'string') {
    try {
      text = readFileSync(input, 'utf8');
    } catch (e) {
      const code = (e as { code?: string }).code;
      return bad(`cannot read replay file ${input}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
  } else {
    text = typeof input.replay === 'string' ? input.replay : JSON.stringify(input.replay);
  }
  let parsed: ReturnType<typeof parseReplay>;
  try {
    parsed = parseReplay(text);
  } catch (e) {
    if (e instanceof ReplayFormatError || e instanceof ScheduleFormatError) bad(`${where}: ${e.message}`);
    throw e;
  }
  const r = parsed.replay;
  const program = typeof input === 'string' || input.program === undefined ? r.program.path : input.program;
  const target = targetOf({ program, path: r.argv0, args: r.args, cpus: r.cpus, maxInstructions: r.maxInstructions, debugRseq: r.debugRseq, env: r.env }, r.kernel);
  const digest = await sha256(target.program);
  if (digest !== r.program.sha256) bad(`${where}: the program is not the one the failure was found in (SHA-256 ${digest}, the file says ${r.program.sha256})`);
  const runner = Runner.create(target, await createCpu());
  const outcome = runner.run(parsed.schedule);
  const failure = judge(outcome);
  return {
    schedule: r.schedule,
    kernel: r.kernel,
    outcome,
    ...(failure ? { failure } : {}),
    expected: r.expect,
    reproduced: failure?.class === r.expect.class,
    explanation: failure ? explain(runner, parsed.schedule, outcome, failure) : [`schedule ${r.schedule}: no failure`],
    exitStatus: outcome.exitCode ?? (outcome.kind === 'budget-exhausted' ? 124 : 125),
  };
}
