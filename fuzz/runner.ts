// One program prepared for many runs: the machine is created once, runs its
// start-up (up to the main thread's first rseq registration, glibc's at
// start-up) and is snapshotted there; every schedule restores that
// snapshot, reseeds the scheduler, injects its events and runs. A run's
// outcome is plain data (what the judge and the explanation need).

import type { Cpu } from '../emulator/api.js';
import type { CriticalSection } from '../kernel-model/elf-rseq.js';
import type { MachineEvent } from '../kernel-model/events.js';
import type { KernelProfileName } from '../kernel-model/kernel-profile.js';
import { Machine, type MachineSnapshot, type RunResult } from '../kernel-model/machine.js';
import type { Schedule } from './schedule.js';

/** What is run: the program, its arguments and the machine's options. */
export interface FuzzTarget {
  program: Uint8Array;
  /** argv[0] and the guest path of the program. */
  path: string;
  args: string[];
  cpus: number;
  kernel: KernelProfileName | 'current';
  debugRseq?: boolean;
  /**
   * Instructions one run may take (all threads) before it counts as a hang;
   * the campaign lowers it to 20 times the profiling run (at least 2 M).
   */
  maxInstructions: number;
  env?: string[];
}

/** The fields of a finished run the fuzzer looks at. */
export interface RunOutcome {
  kind: RunResult['kind'];
  exitCode: number | null;
  signal?: string;
  message?: string;
  stdout: string;
  stderr: string;
  retired: number;
  traceHash: string;
  /** Dynamic findings of the rseq ABI checker (static ones are the target's, not the run's). */
  findings: Extract<MachineEvent, { kind: 'finding' }>[];
  /** Injected events that fired, in order. */
  fired: Extract<MachineEvent, { kind: 'inject' }>[];
  /** rseq events of the run (aborts, violations, lazy clears, slice extension), in order. */
  rseq: Extract<MachineEvent, { kind: 'rseq' }>[];
  /** Address injections that never fired, with the visits they saw. */
  unfired: { address: number; hits: number }[];
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** The target's machine as every fuzzing run starts it (before start-up). */
export function targetMachine(target: FuzzTarget, cpu: Cpu): Machine {
  return Machine.create({
    cpu,
    program: target.program,
    path: target.path,
    argv: [target.path, ...target.args],
    envp: target.env ?? [],
    seed: 1,
    cpus: target.cpus,
    kernelProfile: target.kernel,
    debugRseq: target.debugRseq,
    // A section after an event runs with the other vCPUs in between its instructions.
    stepSectionAfterInjection: true,
  });
}

/**
 * Runs a fresh target machine through start-up, up to the main thread's
 * first rseq registration (glibc's), where every run of a schedule begins,
 * and returns the instructions retired to it. A program that never
 * registers is put back at its first instruction (undefined): its runs
 * begin there. The page's Session.fromSchedule starts the same way, so its
 * run is the fuzzer's.
 */
export function runStartUp(m: Machine, target: FuzzTarget): number | undefined {
  const fresh = m.snapshot();
  const r = m.run({ maxInstructions: target.maxInstructions, until: (e) => e.kind === 'rseq' && e.what === 'register' && e.tid === MAIN_TID });
  if (r.kind !== 'paused') m.restore(fresh);
  m.releaseSnapshot(fresh);
  return r.kind === 'paused' ? r.retired : undefined;
}

/** What a schedule changes at the start of its run: the scheduler's seed, and the events waiting to be injected. */
export function beginSchedule(m: Machine, schedule: Schedule): void {
  m.reseedScheduler(schedule.seed);
  for (const e of schedule.events) m.inject(e);
}

/** A machine state runs restore to, and the instructions retired up to it (all threads). */
interface Start {
  snapshot: MachineSnapshot;
  retired: number;
}

/**
 * The later start (Runner.create): the main thread alone, after its last
 * system call before the first scheduling choice of the run.
 */
interface LaterStart extends Start {
  /** Instructions the main thread ran up to it: an instruction-count event of the main thread below this fires earlier from the registration. */
  mainInstructions: number;
  /** Addresses executed between the registration and the later start: an event at one of them could fire before it. */
  executed: ReadonlySet<number>;
}

const MAIN_TID = 1000;
/** The syscall instruction (0F 05): a quantum ends after it in every run, so a start there splits no quantum. */
const SYSCALL = [0x0f, 0x05];
/** At most this many single steps look for the later start. */
const LATER_START_STEPS = 20_000;

export class Runner {
  private constructor(
    readonly target: FuzzTarget,
    readonly machine: Machine,
    private readonly start: MachineSnapshot,
    /** Instructions of start-up (before the snapshot). */
    readonly startupInstructions: number,
    private readonly later: LaterStart | undefined,
  ) {
    this.budget = target.maxInstructions;
  }

  /** Instructions a run may take from the start (at most the target's maxInstructions). */
  budget: number;

  /** Creates the machine on `cpu` and runs start-up once. */
  static create(target: FuzzTarget, cpu: Cpu): Runner {
    const m = targetMachine(target, cpu);
    const retired = runStartUp(m, target);
    const start = m.snapshot();
    // No registration at start-up: every run starts from the very beginning.
    if (retired === undefined) return new Runner(target, m, start, 0, undefined);
    return new Runner(target, m, start, retired, laterStart(m, { snapshot: start, retired }));
  }

  /** Instructions of the main thread before which no event is worth injecting: those of start-up up to the later start (or the registration). */
  get firstEventInstructions(): number {
    return this.later?.mainInstructions ?? this.startupInstructions;
  }

  /**
   * Whether a schedule starts from the later start: none of its events can
   * fire between the registration and it (observers see every event from
   * the registration on, so they start there too).
   */
  startsLater(schedule: Schedule): boolean {
    const later = this.later;
    if (!later) return false;
    for (const e of schedule.events) {
      if (e.at.kind === 'address' && later.executed.has(e.at.address)) return false;
      if (e.at.kind === 'instructions' && e.at.tid === MAIN_TID && e.at.count < later.mainInstructions) return false;
    }
    return true;
  }

  get sections(): readonly CriticalSection[] {
    return this.machine.criticalSections;
  }

  /** The static findings of the program (commit not last, abort inside, ...). */
  staticFindings(): Extract<MachineEvent, { kind: 'finding' }>[] {
    return this.machine.kernel.findings.filter((f) => f.tid === 0);
  }

  /**
   * Runs one schedule from the start-up snapshot; `observe` sees every
   * machine event of the run. Throws RangeError for events the machine
   * refuses.
   */
  run(schedule: Schedule, observe?: (e: MachineEvent) => void): RunOutcome {
    const m = this.machine;
    const from: Start = !observe && this.startsLater(schedule) ? this.later! : { snapshot: this.start, retired: this.startupInstructions };
    m.restore(from.snapshot);
    beginSchedule(m, schedule);
    const fired: RunOutcome['fired'] = [];
    const rseq: RunOutcome['rseq'] = [];
    const findings: RunOutcome['findings'] = [];
    const off = m.onEvent((e) => {
      observe?.(e);
      if (e.kind === 'inject') fired.push(e);
      else if (e.kind === 'rseq' && e.what !== 'ids' && e.what !== 'register') rseq.push(e);
      else if (e.kind === 'finding' && e.tid !== 0) findings.push(e);
    }, observe ? undefined : ['inject', 'rseq', 'finding']);
    let r: RunResult;
    try {
      r = m.run({ maxInstructions: Math.max(0, this.budget - from.retired) });
    } finally {
      off();
    }
    const unfired = m.pendingInjections().filter((p) => p.at.kind === 'address' && !p.chaos).map((p) => ({ address: p.at.kind === 'address' ? p.at.address : 0, hits: p.hits }));
    return {
      kind: r.kind,
      exitCode: r.exitCode,
      signal: r.signal?.name,
      message: r.message,
      stdout: text(r.stdout),
      stderr: text(r.stderr),
      retired: r.retired,
      traceHash: r.traceHash,
      findings,
      fired,
      rseq,
      unfired,
    };
  }

  /** Threads alive now (after a run), and the signals the program handles. */
  handledSignals(): number[] {
    const out: number[] = [];
    const actions = this.machine.process.actions;
    for (let sig = 1; sig <= 64; sig++) {
      // SIGKILL and SIGSTOP cannot be handled; 32 and 33 are glibc's own (SIGCANCEL, SIGSETXID).
      if (sig === 9 || sig === 19 || sig === 32 || sig === 33) continue;
      const h = actions.get(sig).handler;
      if (h !== 0n && h !== 1n) out.push(sig);
    }
    return out;
  }
}

/**
 * The later start of a target (Runner.run uses it for the schedules it
 * fits): glibc's start-up after the rseq registration and the program's
 * first steps run in the main thread alone, the same for every schedule
 * until the first scheduling choice (the first clone places the new
 * thread, drawing from the schedule's seed). Single steps from the
 * registration find the last system call before that choice, a critical
 * section, a second task, a checker finding or an rseq event (a run's
 * outcome lists those from the registration on), whichever comes first; the machine
 * is run there in one go and snapshotted. A run from it equals the run from
 * the registration (test/fuzz/runner-start.test.ts compares them) and
 * skips a dozen of rseq_counter's 36 system calls. Undefined when there is
 * no such point.
 */
function laterStart(m: Machine, start: Start): LaterStart | undefined {
  const main = m.task;
  if (main.tid !== MAIN_TID) return undefined;
  const sections = m.criticalSections;
  m.restore(start.snapshot);
  m.reseedScheduler(1);
  const drawn = m.kernel.scheduler.randomState();
  const executed: number[] = [];
  let safe = { retired: -1, executed: 0, main: 0 };
  // A run's outcome lists the checker's findings and rseq's events from the registration on: the later start comes before the first.
  let seen = false;
  const off = m.onEvent((e) => {
    if (e.kind === 'finding' || (e.kind === 'rseq' && e.what !== 'ids' && e.what !== 'register')) seen = true;
  }, ['finding', 'rseq']);
  for (let step = 0; step < LATER_START_STEPS && !seen; step++) {
    if (m.kernel.tasks.size !== 1) break;
    const rip = Number(main.ctx.rip);
    if (sections.some((s) => rip >= s.start && rip <= s.postCommit)) break;
    let syscall = false;
    try {
      const b = m.cpu.read(rip, 2);
      syscall = b[0] === SYSCALL[0] && b[1] === SYSCALL[1];
    } catch {
      break;
    }
    const r = m.run({ maxInstructions: 1 });
    if (r.kind !== 'budget-exhausted' || seen || m.kernel.scheduler.randomState() !== drawn) break;
    executed.push(rip);
    if (syscall) safe = { retired: r.retired, executed: executed.length, main: Number(main.cpuNs) };
  }
  off();
  if (safe.retired < 0) return undefined;
  m.restore(start.snapshot);
  m.reseedScheduler(1);
  const r = m.run({ maxInstructions: safe.retired - start.retired });
  if (r.kind !== 'budget-exhausted' || r.retired !== safe.retired) return undefined;
  return { snapshot: m.snapshot(), retired: safe.retired, mainInstructions: safe.main, executed: new Set(executed.slice(0, safe.executed)) };
}
