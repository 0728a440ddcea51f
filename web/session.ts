// One program on one Machine, as the page shows it: created from the
// picker's choices, stepped or run to the end, and described as plain data
// (what the page draws). No DOM here, so Node tests can drive it too.

import type { Cpu } from '../emulator/api.js';
import { Machine, type RunResult } from '../kernel-model/machine.js';

/** What the page's form chooses. */
export interface SessionChoice {
  /** The program's name in the bundle (build/programs/<name>). */
  name: string;
  program: Uint8Array;
  /** The arguments after argv[0], as typed (split on white space). */
  args: string;
  seed: number;
  cpus: number;
}

/** One row of the vCPU table: which thread runs there, and where it is. */
export interface VCpuRow {
  id: number;
  /** The running thread's id, or 0 when the vCPU is idle. */
  tid: number;
  /** The running thread's process, or 0 when the vCPU is idle. */
  pid: number;
  /** The running thread's instruction pointer, or undefined when idle. */
  rip?: bigint;
  /** "main+20": the first program's symbol at rip (other processes may run other programs). */
  symbol?: string;
  queued: number[];
}

export interface SessionView {
  retired: number;
  traceHash: string;
  stdout: string;
  stderr: string;
  /** The last run's outcome, or undefined before any run or step. */
  kind?: RunResult['kind'];
  exitCode: number | null;
  message?: string;
  /** True once the program has ended (exited, killed, deadlock, unsupported): no more steps. */
  ended: boolean;
  vcpus: VCpuRow[];
}

/** "Run to end" stops here: a program still running after this many instructions is shown as such. */
export const RUN_TO_END_BUDGET = 2_000_000_000;

/** The guest path a bundled program runs as (argv[0] and AT_EXECFN). */
export function guestPath(name: string): string {
  return `/programs/${name}`;
}

export function splitArgs(args: string): string[] {
  return args.split(/\s+/).filter((a) => a !== '');
}

export class Session {
  private last?: RunResult;

  private constructor(readonly machine: Machine, readonly choice: SessionChoice) {}

  static create(cpu: Cpu, choice: SessionChoice): Session {
    const path = guestPath(choice.name);
    const machine = Machine.create({
      cpu,
      program: choice.program,
      path,
      argv: [path, ...splitArgs(choice.args)],
      seed: choice.seed,
      cpus: choice.cpus,
    });
    return new Session(machine, choice);
  }

  get ended(): boolean {
    const k = this.last?.kind;
    return k !== undefined && k !== 'budget-exhausted' && k !== 'paused';
  }

  /** One instruction of the thread the scheduler runs next. */
  step(): RunResult {
    return this.runFor(1);
  }

  /** Everything up to the program's end (one run, so the schedule is the same as one Machine.run in Node). */
  runToEnd(): RunResult {
    return this.runFor(RUN_TO_END_BUDGET);
  }

  private runFor(maxInstructions: number): RunResult {
    if (this.ended) return this.last!;
    this.last = this.machine.run({ maxInstructions });
    return this.last;
  }

  view(): SessionView {
    const m = this.machine;
    const threads = new Map(m.threads().map((t) => [t.tid, t]));
    const decoder = new TextDecoder();
    const r = this.last;
    return {
      retired: m.retired,
      traceHash: m.traceHash,
      stdout: r ? decoder.decode(r.stdout) : '',
      stderr: r ? decoder.decode(r.stderr) : '',
      kind: r?.kind,
      exitCode: r?.exitCode ?? null,
      message: r?.message,
      ended: this.ended,
      vcpus: m.vcpus().map((v) => {
        const t = threads.get(v.current);
        if (!t) return { id: v.id, tid: 0, pid: 0, queued: v.queued };
        const symbol = t.pid === m.process.tgid ? m.symbols.describe(Number(t.rip)) : undefined;
        return { id: v.id, tid: t.tid, pid: t.pid, rip: t.rip, symbol, queued: v.queued };
      }),
    };
  }
}
