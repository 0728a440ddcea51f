// One program on one Machine, as the page shows it: created from the
// picker's choices, stepped or run to the end, and described as plain data
// (what the page draws). No DOM here, so Node tests can drive it too.

import type { Cpu } from '../emulator/api.js';
import { sectionAt, type CriticalSection } from '../kernel-model/elf-rseq.js';
import type { MachineEvent } from '../kernel-model/events.js';
import { describeInjection, type InjectAction } from '../kernel-model/injection.js';
import type { KernelProfileName } from '../kernel-model/kernel-profile.js';
import { Machine, type MachineSnapshot, type RunResult } from '../kernel-model/machine.js';
import { RSEQ_CS_SIZE, RseqCsField, RseqField } from '../kernel-model/rseq.js';
import { buildCodeView, type CodeView, type Decode } from './code-view.js';
import { readPerCpuData, type PerCpuDataView } from './percpu-data.js';
import { readRegisters, type RegisterView } from './registers.js';
import { beginSchedule, runStartUp, targetMachine, type FuzzTarget } from '../fuzz/runner.js';
import type { Schedule } from '../fuzz/schedule.js';
import { eventsBeforeFirstInjection, runEvents } from './injection-pause.js';
import { hex } from '../kernel-model/layout.js';

/** What the page's form chooses. */
export interface SessionChoice {
  /** The program's name in the bundle (build/programs/<name>). */
  name: string;
  program: Uint8Array;
  /** The arguments after argv[0], as typed (split on white space). */
  args: string;
  seed: number;
  cpus: number;
  /** Kernel version to behave as (default 'current' = 7.0). */
  kernel?: KernelProfileName | 'current';
  /** CONFIG_DEBUG_RSEQ: the rseq ABI checker's findings are fatal. */
  debugRseq?: boolean;
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

/** One field of a thread's struct rseq (or of the rseq_cs it points to), read from guest memory. */
export interface RseqFieldView {
  name: string;
  /** As the page prints it: decimal for IDs, hex for addresses and flags. */
  value: string;
  /** Different from what it was before the last step or run. */
  changed: boolean;
}

/** A live thread as the page shows it, with its rseq area decoded. */
export interface ThreadView {
  tid: number;
  pid: number;
  cpu: number;
  state: string;
  rip: bigint;
  symbol?: string;
  /** Instructions this thread has retired (what an instruction-count injection counts). */
  instructions: number;
  /** The registered struct rseq, or undefined when the thread has none. */
  rseq?: { address: number; length: number; fields: RseqFieldView[] };
  /** The critical section rip is in (start <= rip < post_commit), if any. */
  section?: CriticalSection;
  /** Its register file, each register marked when the last step or run changed it. */
  registers: (RegisterView & { changed: boolean })[];
}

/** One line of the event log: an rseq event (abort, lazy clear, violation, …; not the routine ID updates), an injected event, or an rseq checker finding. */
export interface LogEntry {
  retired: number;
  tid: number;
  /** 'abort', 'lazy-clear', 'violation', 'inject', 'finding', … */
  what: string;
  detail: string;
}

// The roles of a critical section's instructions live with the code view; the page and its tests import them from here too.
export { sectionRole, type SectionRole } from './code-view.js';

/** "Run to next critical section" gives up after this many steps. */
export const RUN_TO_SECTION_BUDGET = 5_000_000;

export interface SessionView {
  retired: number;
  traceHash: string;
  stdout: string;
  stderr: string;
  /** The last run's outcome, or undefined before any run or step. */
  kind?: RunResult['kind'];
  exitCode: number | null;
  /** The signal that killed the program ('SIGSEGV'), when it was killed. */
  signal?: string;
  /** 'paused' at an event a run waited for (runToEvent), not by a pause the page asked for. */
  pausedAtEvent: boolean;
  message?: string;
  /** True once the program has ended (exited, killed, deadlock, unsupported): no more steps. */
  ended: boolean;
  vcpus: VCpuRow[];
  threads: ThreadView[];
  events: LogEntry[];
  /** The program's per-CPU arrays read from guest memory (web/percpu-data.ts), changed values marked. */
  perCpu: PerCpuDataView;
}

/** A stretch of virtual time [from, to) in which thread tid ran on vCPU cpu (from the machine's 'run' events, adjacent ones merged). */
export interface RunSegment {
  cpu: number;
  tid: number;
  from: number;
  to: number;
}

/**
 * What a timeline mark is: an injected event, or one of the rseq events
 * that change a thread's course: an abort (rseq-abi.md section 4), a
 * violation (the kernel's SIGSEGV), and the time slice extension's grant,
 * its end by rseq_slice_yield, and its revocation (section 9).
 */
export type MarkKind = 'inject' | 'abort' | 'violation' | 'slice-grant' | 'slice-yield' | 'slice-revoke';

/** The rseq events ('rseq' machine events, by their what) the timeline marks. */
const MARKED_RSEQ: ReadonlySet<string> = new Set<MarkKind>(['abort', 'violation', 'slice-grant', 'slice-yield', 'slice-revoke']);

/** A point of the timeline, on the vCPU the thread was on. */
export interface TimelineMark {
  t: number;
  cpu: number;
  tid: number;
  what: MarkKind;
  detail: string;
}

/** What the timeline draws: one lane per vCPU, the run segments and the marks, in virtual nanoseconds (one per instruction). */
export interface Timeline {
  cpus: number;
  end: number;
  segments: RunSegment[];
  marks: TimelineMark[];
}

/** How many user actions Back can undo (the oldest snapshot is released past this). */
export const HISTORY_LIMIT = 200;

/** A user action as data, so forward() and jumpTo() can play it again (the machine is deterministic). */
type SessionAction =
  | { kind: 'step' }
  /** To the program's end, or this many instructions retired in all (Machine.run's limit: the same limit, the same quanta). */
  | { kind: 'run'; limit: number }
  | { kind: 'step-thread'; tid: number }
  | { kind: 'run-to-section'; tid?: number }
  | { kind: 'run-to-section-end'; tid: number }
  | { kind: 'inject'; tid: number; action: InjectAction }
  /** Until the log gets an entry `what` of thread tid (any when undefined), within the same limit as 'run'. */
  | { kind: 'run-to-event'; what: string; tid?: number; limit: number }
  /** To the first turn after the run's n-th machine event (web/injection-pause.ts), within the limit. */
  | { kind: 'run-events'; events: number; limit: number };

/** The session as it was before one user action: the action, the machine's snapshot and what the session itself keeps. */
interface HistoryEntry {
  action: SessionAction;
  snapshot: MachineSnapshot;
  /** Each vCPU's clock then (jumpTo finds the action that was running at a time). */
  clocks: number[];
  last?: RunResult;
  before: Map<string, string>;
  log: number;
  /** A shallow copy: segments are replaced, never changed in place. */
  segments: RunSegment[];
  marks: number;
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

/** A session opened from a fuzzer's schedule (Session.fromSchedule): what it runs, and where it stopped. */
export interface ScheduleOrigin {
  target: FuzzTarget;
  schedule: Schedule;
  /** True when it stopped just before the schedule's first injected event fires; false when none fires. */
  beforeInjection: boolean;
}

export class Session {
  private last?: RunResult;
  /** Set by fromSchedule: the schedule it runs, and the instruction total its runs stop at (the target's budget, as `rseqlab replay` runs it). */
  private origin?: ScheduleOrigin;
  private endAt?: number;
  private readonly log: LogEntry[] = [];
  /** Each thread's rseq field values before the last step or run ("tid:name" -> value). */
  private before = new Map<string, string>();
  private readonly segments: RunSegment[] = [];
  private readonly marks: TimelineMark[] = [];
  /** Snapshots before each user action, oldest first (at most HISTORY_LIMIT). */
  private readonly history: HistoryEntry[] = [];
  /** Actions back() undid, the next one for forward() last; a new action clears it. */
  private readonly redo: SessionAction[] = [];
  /** What the last runToSection and injectHere found (execute sets them). */
  private arrived?: number;
  private injected?: number;
  /** The run a pause cut short, while it is still the last action: run() goes on with it. */
  private paused?: SessionAction;

  private constructor(readonly machine: Machine, readonly choice: SessionChoice) {
    machine.onEvent((e) => {
      if (e.kind === 'run') this.addRun(e.cpu, e.tid, Number(e.t), e.retired);
      if (e.kind === 'inject') this.marks.push({ t: this.now(e.cpu), cpu: e.cpu, tid: e.tid, what: 'inject', detail: e.what });
      if (e.kind === 'rseq' && MARKED_RSEQ.has(e.what)) {
        const cpu = machine.kernel.tasks.get(e.tid)?.cpu ?? 0;
        this.marks.push({ t: this.now(cpu), cpu, tid: e.tid, what: e.what as MarkKind, detail: e.detail });
      }
    }, ['run', 'inject', 'rseq']);
    machine.onEvent((e) => {
      if (e.kind === 'rseq' && e.what !== 'ids') this.log.push({ retired: machine.retired, tid: e.tid, what: e.what, detail: e.detail });
      if (e.kind === 'inject') this.log.push({ retired: machine.retired, tid: e.tid, what: 'inject', detail: e.what });
      if (e.kind === 'finding') this.log.push({ retired: machine.retired, tid: e.tid, what: 'finding', detail: `${e.rule}${e.fatal ? ' (fatal)' : ''}: ${e.detail}` });
    }, ['rseq', 'inject', 'finding']);
  }

  static create(cpu: Cpu, choice: SessionChoice): Session {
    const path = guestPath(choice.name);
    const machine = Machine.create({
      cpu,
      program: choice.program,
      path,
      argv: [path, ...splitArgs(choice.args)],
      seed: choice.seed,
      cpus: choice.cpus,
      kernelProfile: choice.kernel,
      debugRseq: choice.debugRseq,
    });
    return new Session(machine, choice);
  }

  /**
   * The run `rseqlab replay` and the fuzzer's Runner make of this target and
   * schedule, in the stepper: start-up from seed 1 up to the main thread's
   * rseq registration, the scheduler reseeded with the schedule's seed, its
   * events injected, sections stepped after them; then run on to the last
   * point before the first event fires at which stopping changes nothing
   * (web/injection-pause.ts), so Run to end gives the Runner's trace hash.
   * Back returns to the registration. `name` is the bundled program's name.
   */
  static fromSchedule(cpu: Cpu, name: string, target: FuzzTarget, schedule: Schedule): Session {
    const machine = targetMachine(target, cpu);
    runStartUp(machine, target);
    beginSchedule(machine, schedule);
    const start = machine.snapshot();
    const n = eventsBeforeFirstInjection(machine, start, target.maxInstructions);
    machine.releaseSnapshot(start);
    const s = new Session(machine, { name, program: target.program, args: target.args.join(' '), seed: schedule.seed, cpus: target.cpus, kernel: target.kernel, debugRseq: target.debugRseq });
    s.origin = { target, schedule, beforeInjection: n !== undefined };
    s.endAt = target.maxInstructions;
    if (n) s.perform({ kind: 'run-events', events: n, limit: target.maxInstructions });
    return s;
  }

  /** The schedule this session runs, when it came from one (fromSchedule). */
  get scheduleOrigin(): ScheduleOrigin | undefined {
    return this.origin;
  }

  /** Events waiting to be injected, in words ("preempt at 0x401b3c (hit 3)"). */
  pendingInjections(): string[] {
    return this.machine.pendingInjections().map((p) => describeInjection(p));
  }

  /** vCPU cpu's virtual clock (ns). */
  private now(cpu: number): number {
    return Number(this.machine.kernel.vcpus[cpu]?.clock ?? 0n);
  }

  private addRun(cpu: number, tid: number, from: number, n: number): void {
    for (let i = this.segments.length - 1; i >= 0 && i >= this.segments.length - 64; i--) {
      const s = this.segments[i];
      if (s.cpu !== cpu) continue;
      if (s.tid === tid && s.to === from) {
        // Replaced, not changed in place: history entries hold the old one.
        this.segments[i] = { ...s, to: from + n };
        return;
      }
      break;
    }
    this.segments.push({ cpu, tid, from, to: from + n });
  }

  /** Before a user action: snapshot the machine and what the session keeps, so back() can return here. */
  private checkpoint(action: SessionAction): void {
    this.history.push({
      action,
      snapshot: this.machine.snapshot(),
      clocks: this.machine.kernel.vcpus.map((v) => Number(v.clock)),
      last: this.last,
      before: this.before,
      log: this.log.length,
      segments: [...this.segments],
      marks: this.marks.length,
    });
    while (this.history.length > HISTORY_LIMIT) this.machine.releaseSnapshot(this.history.shift()!.snapshot);
    this.remember();
  }

  /** How many actions back() can undo. */
  get backSteps(): number {
    return this.history.length;
  }

  /** How many undone actions forward() can play again. */
  get forwardSteps(): number {
    return this.redo.length;
  }

  /** Undoes the last user action: the machine, the log, the timeline and the changed-field marks are exactly as they were; forward() plays it again. False when there is nothing to undo. */
  back(): boolean {
    const h = this.undo();
    if (!h) return false;
    // A cut action (paused, or jumped into) goes forward as a whole.
    if (this.redo.at(-1) !== h.action) this.redo.push(h.action);
    return true;
  }

  /** Restores the state before the last action and drops that action from the history. */
  private undo(): HistoryEntry | undefined {
    const h = this.history.pop();
    if (!h) return undefined;
    this.paused = undefined;
    this.machine.restore(h.snapshot);
    this.machine.releaseSnapshot(h.snapshot);
    this.last = h.last;
    this.before = h.before;
    this.log.length = h.log;
    this.segments.splice(0, this.segments.length, ...h.segments);
    this.marks.length = h.marks;
    return h;
  }

  /**
   * Plays the last undone action again: the machine is deterministic, so
   * it ends exactly where it ended before Back (a run cut by a pause or a
   * jump is played whole, from where it began). False when there is none.
   */
  forward(): boolean {
    const a = this.redo.pop();
    if (!a) return false;
    if (this.history.at(-1)?.action === a) this.undo();
    this.perform(a, undefined, true);
    return true;
  }

  /**
   * Goes to virtual time t of vCPU cpu (a click on the timeline): back to
   * the last action that began at or before t, then that action again up to
   * the first scheduling point where the vCPU's clock has reached t. The
   * undone actions stay for forward(). False when no kept action began by t.
   */
  jumpTo(cpu: number, t: number): boolean {
    let i = this.history.length - 1;
    while (i >= 0 && this.history[i].clocks[cpu] > t) i--;
    if (i < 0) return false;
    while (this.history.length > i) this.back();
    const a = this.redo.pop()!;
    const cut = this.perform(a, () => this.now(cpu) >= t, true);
    // Cut short: forward() finishes it from its start.
    if (cut) this.redo.push(a);
    return true;
  }

  /** Releases every snapshot (when the page drops this session). */
  dispose(): void {
    for (const h of this.history.splice(0)) this.machine.releaseSnapshot(h.snapshot);
  }

  timeline(): Timeline {
    const clocks = this.machine.kernel.vcpus.map((v) => Number(v.clock));
    return { cpus: this.machine.kernel.vcpus.length, end: Math.max(1, ...clocks), segments: this.segments.map((s) => ({ ...s })), marks: [...this.marks] };
  }

  get ended(): boolean {
    const k = this.last?.kind;
    return k !== undefined && k !== 'budget-exhausted' && k !== 'paused';
  }

  /** One instruction of the thread the scheduler runs next. */
  step(): RunResult {
    this.perform({ kind: 'step' });
    return this.last!;
  }

  /**
   * Everything up to the program's end (one run, so the schedule is the
   * same as one Machine.run in Node; from a schedule, up to the target's
   * budget, so a hang ends where `rseqlab replay`'s does).
   */
  runToEnd(): RunResult {
    return this.run();
  }

  /**
   * Runs to the program's end like runToEnd, but returns early, at a
   * scheduling point, when pause() says so (asked between quanta; the
   * schedule is the one an uninterrupted run makes: Machine RunOptions.yieldWhen).
   * Calling run again goes on from there. The result's kind is 'paused' when it returned early.
   */
  run(pause?: () => boolean): RunResult {
    const paused = this.paused;
    this.paused = undefined;
    let cut: boolean;
    if (paused && this.history.at(-1)?.action === paused) {
      // Goes on with the same action (Back undoes the whole run).
      cut = this.execute(paused, pause);
    } else {
      cut = this.perform({ kind: 'run', limit: this.runLimit }, pause);
    }
    if (cut) this.paused = this.history.at(-1)!.action;
    return this.last!;
  }

  /**
   * The instruction total a run stops at: RUN_TO_END_BUDGET more, or from a
   * schedule the target's budget (a hang ends where `rseqlab replay`'s
   * does). The quantum a run draws last is clipped to it, so it must be
   * the one-run figure.
   */
  private get runLimit(): number {
    return this.endAt ?? this.machine.retired + RUN_TO_END_BUDGET;
  }

  /**
   * Runs until the next injected event has been applied (the thread is
   * still at its instruction; an abort happens when it next returns to user
   * space). A pause between the machine's turns, so a later Run to end
   * still gives the one-run trace hash.
   */
  runToInjection(): RunResult {
    if (!this.ended) this.perform({ kind: 'run-to-event', what: 'inject', limit: this.runLimit });
    return this.last!;
  }


  /** Steps until thread tid has retired one more instruction (other threads may run meanwhile), or it is gone. */
  stepThread(tid: number): void {
    if (this.instructionsOf(tid) === undefined) throw new Error(`thread ${tid} is not alive`);
    this.perform({ kind: 'step-thread', tid });
  }

  /**
   * Steps until a thread (tid, or any thread when tid is undefined) is about
   * to run the first instruction of a critical section, at most
   * RUN_TO_SECTION_BUDGET steps. A thread already at a section start must
   * run first, so pressing again goes to the next one. Returns the thread
   * that got there, or undefined (the program ended, or the budget ran out).
   */
  runToSection(tid?: number): number | undefined {
    if (this.machine.criticalSections.length === 0) throw new Error(`${this.choice.name} has no critical sections (no __rseq_cs table)`);
    this.perform({ kind: 'run-to-section', tid });
    return this.arrived;
  }

  /**
   * Steps until thread tid has left the critical section it is in: it
   * reached post_commit_ip (committed), or the kernel moved it to abort_ip,
   * or it ended. Says which.
   */
  runToSectionEnd(tid: number): 'committed' | 'aborted' | 'ended' {
    const t = this.machine.kernel.tasks.get(tid);
    if (!t || t.state === 'dead') throw new Error(`thread ${tid} is not alive`);
    const section = this.sectionAt(tid);
    if (!section) throw new Error(`thread ${tid} is not in a critical section (its rip is not in [start_ip, post_commit_ip) of any)`);
    this.perform({ kind: 'run-to-section-end', tid });
    const rip = this.ripOf(tid);
    return rip === section.postCommit ? 'committed' : rip === section.abort ? 'aborted' : 'ended';
  }

  /**
   * Runs until the event log gets an entry `what` ('slice-grant', 'abort',
   * 'finding', …) of thread tid (any thread when undefined), or the program
   * ends, or RUN_TO_END_BUDGET instructions. Returns that entry, or
   * undefined.
   */
  runToEvent(what: string, tid?: number): LogEntry | undefined {
    if (this.ended) return undefined;
    const from = this.log.length;
    this.perform({ kind: 'run-to-event', what, tid, limit: this.runLimit });
    return this.log.slice(from).find((e) => e.what === what && (tid === undefined || e.tid === tid));
  }

  /** Injects a preemption, migration or signal into thread tid at exactly its current instruction, then steps that thread once. */
  injectHere(tid: number, action: InjectAction): number {
    if (this.instructionsOf(tid) === undefined) throw new Error(`thread ${tid} is not alive`);
    this.perform({ kind: 'inject', tid, action });
    return this.injected!;
  }

  /**
   * Does one user action after a checkpoint (a new action drops what
   * forward() could play; replaying one keeps the rest). stop, asked at
   * every scheduling point, may cut it short; returns whether it did.
   */
  private perform(a: SessionAction, stop?: () => boolean, replay = false): boolean {
    if (!replay) this.redo.length = 0;
    this.paused = undefined;
    this.checkpoint(a);
    return this.execute(a, stop);
  }

  /** The action itself; stop() is asked between the machine's steps and ends it early when true. Returns whether it did. */
  private execute(a: SessionAction, stop?: () => boolean): boolean {
    let cut = false;
    const halt = stop ? () => (cut ||= stop()) : () => false;
    this.act(a, halt);
    return cut;
  }

  private act(a: SessionAction, halt: () => boolean): void {
    const steps = (done: () => boolean): void => {
      for (let n = 0; n < RUN_TO_SECTION_BUDGET && !this.ended && !halt(); n++) {
        this.once();
        if (done()) return;
      }
    };
    switch (a.kind) {
      case 'step':
        if (!this.ended && !halt()) this.last = this.machine.run({ maxInstructions: 1 });
        return;
      case 'run':
        if (!this.ended) this.last = this.machine.run({ maxInstructions: a.limit - this.machine.retired, yieldWhen: halt });
        return;
      case 'step-thread': {
        const start = this.instructionsOf(a.tid);
        steps(() => { const now = this.instructionsOf(a.tid); return now === undefined || now > start!; });
        return;
      }
      case 'run-to-section': {
        const tasks = () => [...this.machine.kernel.tasks.values()].filter((t) => (a.tid === undefined || t.tid === a.tid) && t.state !== 'dead');
        const atStart = (t: { tid: number; ctx: { rip: bigint } }) => this.sectionsOf(t.tid).some((s) => s.start === Number(t.ctx.rip));
        const waiting = new Set(tasks().filter(atStart).map((t) => `${t.tid}:${t.cpuNs}`));
        const there = () => tasks().find((t) => atStart(t) && !waiting.has(`${t.tid}:${t.cpuNs}`))?.tid;
        this.arrived = undefined;
        if ((this.arrived = there()) !== undefined) return;
        steps(() => (this.arrived = there()) !== undefined || (a.tid !== undefined && tasks().length === 0));
        return;
      }
      case 'run-to-section-end': {
        const section = this.sectionAt(a.tid);
        steps(() => section === undefined || this.sectionAt(a.tid) !== section);
        return;
      }
      case 'run-to-event': {
        // What the log calls a machine event (as the constructor's listener files it).
        const logged = (e: MachineEvent) => e.kind === 'rseq' ? (e.what === 'ids' ? undefined : e.what) : e.kind === 'finding' || e.kind === 'inject' ? e.kind : undefined;
        if (!this.ended) this.last = this.machine.run({ maxInstructions: a.limit - this.machine.retired, until: (e) => logged(e) === a.what && (a.tid === undefined || ('tid' in e && e.tid === a.tid)), yieldWhen: halt });
        return;
      }
      case 'run-events':
        if (!this.ended) this.last = runEvents(this.machine, a.limit, a.events, halt) ?? this.last;
        return;
      case 'inject': {
        const count = this.instructionsOf(a.tid)!;
        this.injected = this.machine.inject({ action: a.action, at: { kind: 'instructions', tid: a.tid, count } });
        // Until the event is applied and the thread is back in user space: it
        // retired an instruction, or the kernel moved it to an abort handler
        // (then it stops there, about to run the handler's first instruction).
        const from = this.log.length;
        steps(() => {
          const now = this.instructionsOf(a.tid);
          return now === undefined || now > count || this.log.slice(from).some((e) => e.tid === a.tid && e.what === 'abort');
        });
        return;
      }
    }
  }

  /** One instruction of the scheduler's choice, without marking a new "before" for changed fields. */
  private once(): void {
    if (!this.ended) this.last = this.machine.run({ maxInstructions: 1 });
  }

  private ripOf(tid: number): number | undefined {
    const t = this.machine.kernel.tasks.get(tid);
    return t && t.state !== 'dead' ? Number(t.ctx.rip) : undefined;
  }

  /** The critical section thread tid's rip is in (start_ip <= rip < post_commit_ip), if any. */
  sectionAt(tid: number): CriticalSection | undefined {
    const rip = this.ripOf(tid);
    return rip === undefined ? undefined : sectionAt(this.sectionsOf(tid), rip);
  }

  /** The critical sections of the program thread tid's process runs (the first program's, or what it exec'd). */
  sectionsOf(tid: number): readonly CriticalSection[] {
    return this.machine.kernel.tasks.get(tid)?.group.image?.criticalSections ?? [];
  }

  private instructionsOf(tid: number): number | undefined {
    const t = this.machine.kernel.tasks.get(tid);
    return t ? Number(t.cpuNs) : undefined;
  }

  /** Records what the view marks when it changes (every thread's rseq fields and registers, the per-CPU data), before an action. */
  private remember(): void {
    this.before = new Map();
    for (const t of this.machine.kernel.tasks.values()) {
      if (t.state === 'dead') continue;
      for (const f of this.rseqFields(t.tid)?.fields ?? []) this.before.set(`${t.tid}:${f.name}`, f.value);
      for (const r of readRegisters(t.ctx)) this.before.set(`${t.tid}:reg.${r.name}`, r.value);
    }
    const data = this.perCpuData();
    if (data.described) for (const a of data.arrays) for (const row of a.rows) for (const v of row.values) this.before.set(`percpu:${row.label}.${v.field}`, v.value);
  }

  /** Whether the value under key differs from before the last action (anything new after an action counts as changed). */
  private changed(key: string, value: string): boolean {
    return this.before.has(key) ? this.before.get(key) !== value : this.last !== undefined;
  }

  /** The program's per-CPU arrays as they are in its memory now (web/percpu-data.ts). */
  private perCpuData(): PerCpuDataView {
    const m = this.machine;
    return readPerCpuData(this.choice.name, m.symbols, m.kernel.vcpus.length, (address, length) => m.readMemory(address, length));
  }

  /**
   * The code view for thread tid (web/code-view.ts): disassembly by decode
   * around its instruction, every thread of the same program marked where
   * it is. Undefined when the thread is gone.
   */
  codeView(tid: number, decode: Decode): CodeView | undefined {
    const t = this.machine.kernel.tasks.get(tid);
    if (!t || t.state === 'dead') return undefined;
    const image = t.group.image;
    const threads = [...this.machine.kernel.tasks.values()]
      .filter((x) => x.state !== 'dead' && x.group.image === image)
      .sort((a, b) => a.tid - b.tid)
      .map((x) => ({ tid: x.tid, cpu: x.cpu, state: x.state, rip: Number(x.ctx.rip) }));
    return buildCodeView({
      rip: Number(t.ctx.rip),
      sections: this.sectionsOf(tid),
      // Symbols are the first program's: a process that exec'd another has none here.
      symbols: t.group.tgid === this.machine.process.tgid ? this.machine.symbols : undefined,
      threads,
      read: (address, length) => this.machine.readMemory(address, length, t.group.tgid),
      decode,
    });
  }

  /** Thread tid's struct rseq, decoded from guest memory (and the rseq_cs descriptor it points to, when non-zero). */
  private rseqFields(tid: number): ThreadView['rseq'] {
    const t = this.machine.kernel.tasks.get(tid);
    const reg = t?.rseq.registration;
    if (!t || !reg) return undefined;
    const m = this.machine;
    const pid = t.group.tgid;
    let area: DataView;
    try {
      const bytes = m.readMemory(reg.address, Math.min(reg.length, 32), pid);
      area = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch {
      return { address: reg.address, length: reg.length, fields: [] };
    }
    const fields: { name: string; value: string }[] = [
      { name: 'cpu_id_start', value: String(area.getInt32(RseqField.cpuIdStart, true)) },
      { name: 'cpu_id', value: String(area.getInt32(RseqField.cpuId, true)) },
      { name: 'rseq_cs', value: hex(area.getBigUint64(RseqField.rseqCs, true)) },
      { name: 'flags', value: hex(area.getUint32(RseqField.flags, true)) },
    ];
    if (reg.length >= RseqField.nodeId + 4 && area.byteLength >= RseqField.nodeId + 4) fields.push({ name: 'node_id', value: String(area.getUint32(RseqField.nodeId, true)) });
    if (reg.length >= RseqField.mmCid + 4 && area.byteLength >= RseqField.mmCid + 4) fields.push({ name: 'mm_cid', value: String(area.getUint32(RseqField.mmCid, true)) });
    // slice_ctrl (7.0, V2 registrations only): byte 0 request, byte 1 granted (rseq-abi.md section 9).
    if (reg.v2 && area.byteLength >= RseqField.sliceCtrl + 2) {
      fields.push(
        { name: 'slice_ctrl.request', value: String(area.getUint8(RseqField.sliceCtrl)) },
        { name: 'slice_ctrl.granted', value: String(area.getUint8(RseqField.sliceCtrl + 1)) },
      );
    }
    const cs = area.getBigUint64(RseqField.rseqCs, true);
    if (cs !== 0n) {
      try {
        const d = m.readMemory(Number(cs), RSEQ_CS_SIZE, pid);
        const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
        fields.push(
          { name: 'rseq_cs.version', value: String(v.getUint32(RseqCsField.version, true)) },
          { name: 'rseq_cs.flags', value: hex(v.getUint32(RseqCsField.flags, true)) },
          { name: 'rseq_cs.start_ip', value: hex(v.getBigUint64(RseqCsField.startIp, true)) },
          { name: 'rseq_cs.post_commit_offset', value: hex(v.getBigUint64(RseqCsField.postCommitOffset, true)) },
          { name: 'rseq_cs.abort_ip', value: hex(v.getBigUint64(RseqCsField.abortIp, true)) },
        );
        // Which of the program's sections the pointer names: one the __rseq_cs table does not list is worth seeing.
        const sections = this.sectionsOf(tid);
        const i = sections.findIndex((x) => x.descriptorAddress === Number(cs));
        fields.push({ name: 'rseq_cs.section', value: i >= 0 ? `#${i}${sections[i].symbol ? ` at ${sections[i].symbol}` : ''}` : 'not in the program\'s __rseq_cs table' });
      } catch {
        fields.push({ name: 'rseq_cs.start_ip', value: 'unreadable' });
      }
      fields.push(...this.signatureFields(Number(cs), reg.signature, pid));
    }
    return { address: reg.address, length: reg.length, fields: fields.map((f) => ({ ...f, changed: this.changed(`${tid}:${f.name}`, f.value) })) };
  }

  /**
   * "main+20" (the first program's symbols only: another process may run
   * another program), or "abort handler #0" for out-of-line handler code
   * that no symbol covers (rseq-abi.h puts handlers in __rseq_failure).
   */
  private placeOf(tid: number, pid: number, rip: number): string | undefined {
    const symbol = pid === this.machine.process.tgid ? this.machine.symbols.describe(rip) : undefined;
    if (symbol) return symbol;
    const sections = this.sectionsOf(tid);
    const i = sections.findIndex((s) => rip >= s.abort && rip < s.abort + 64);
    return i < 0 ? undefined : `abort handler #${i}${rip > sections[i].abort ? `+${rip - sections[i].abort}` : ''}`;
  }

  private markPerCpu(data: PerCpuDataView): PerCpuDataView {
    if (data.described) for (const a of data.arrays) for (const row of a.rows) for (const v of row.values) v.changed = this.changed(`percpu:${row.label}.${v.field}`, v.value);
    return data;
  }

  /**
   * The 4 bytes before the descriptor's abort_ip beside the registered
   * signature: what the kernel compares before it moves a thread to
   * abort_ip, killing it with SIGSEGV when they differ (rseq-abi.md section
   * 4 step 5).
   */
  private signatureFields(cs: number, registered: number, pid: number): { name: string; value: string }[] {
    let before = 'unreadable';
    try {
      const d = this.machine.readMemory(cs + RseqCsField.abortIp, 8, pid);
      const abortIp = Number(new DataView(d.buffer, d.byteOffset, d.byteLength).getBigUint64(0, true));
      const sig = this.machine.readMemory(abortIp - 4, 4, pid);
      before = hex(new DataView(sig.buffer, sig.byteOffset, sig.byteLength).getUint32(0, true));
    } catch {
      // An unmapped descriptor or abort_ip: the kernel's SIGSEGV too.
    }
    return [
      { name: 'signature (registered)', value: hex(registered >>> 0) },
      { name: 'signature before abort_ip', value: before },
    ];
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
      signal: r?.signal?.name,
      pausedAtEvent: r?.kind === 'paused' && r.event !== undefined,
      message: r?.message,
      ended: this.ended,
      vcpus: m.vcpus().map((v) => {
        const t = threads.get(v.current);
        if (!t) return { id: v.id, tid: 0, pid: 0, queued: v.queued };
        const symbol = this.placeOf(t.tid, t.pid, Number(t.rip));
        return { id: v.id, tid: t.tid, pid: t.pid, rip: t.rip, symbol, queued: v.queued };
      }),
      threads: m.threads().filter((t) => t.state !== 'dead').map((t) => {
        const task = m.kernel.tasks.get(t.tid)!;
        return {
          tid: t.tid,
          pid: t.pid,
          cpu: t.cpu,
          state: t.state,
          rip: t.rip,
          symbol: this.placeOf(t.tid, t.pid, Number(t.rip)),
          instructions: Number(task.cpuNs),
          rseq: this.rseqFields(t.tid),
          section: this.sectionAt(t.tid),
          registers: readRegisters(task.ctx).map((reg) => ({ ...reg, changed: this.changed(`${t.tid}:reg.${reg.name}`, reg.value) })),
        };
      }),
      events: [...this.log],
      perCpu: this.markPerCpu(this.perCpuData()),
    };
  }
}
