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

export class Runner {
  private constructor(
    readonly target: FuzzTarget,
    readonly machine: Machine,
    private readonly start: MachineSnapshot,
    /** Instructions of start-up (before the snapshot). */
    readonly startupInstructions: number,
  ) {
    this.budget = target.maxInstructions;
  }

  /** Instructions a run may take from the start (at most the target's maxInstructions). */
  budget: number;

  /** Creates the machine on `cpu` and runs start-up once. */
  static create(target: FuzzTarget, cpu: Cpu): Runner {
    const m = targetMachine(target, cpu);
    const fresh = m.snapshot();
    const r = m.run({ maxInstructions: target.maxInstructions, until: (e) => e.kind === 'rseq' && e.what === 'register' && e.tid === 1000 });
    if (r.kind !== 'paused') {
      // No registration at start-up: every run starts from the very beginning.
      m.restore(fresh);
      return new Runner(target, m, fresh, 0);
    }
    const start = m.snapshot();
    m.releaseSnapshot(fresh);
    return new Runner(target, m, start, r.retired);
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
    m.restore(this.start);
    m.reseedScheduler(schedule.seed);
    for (const e of schedule.events) m.inject(e);
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
      r = m.run({ maxInstructions: Math.max(0, this.budget - this.startupInstructions) });
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
