// One program on one Machine, as the page shows it: created from the
// picker's choices, stepped or run to the end, and described as plain data
// (what the page draws). No DOM here, so Node tests can drive it too.

import type { Cpu } from '../emulator/api.js';
import type { CriticalSection } from '../kernel-model/elf-rseq.js';
import type { InjectAction } from '../kernel-model/injection.js';
import type { KernelProfileName } from '../kernel-model/kernel-profile.js';
import { Machine, type MachineSnapshot, type RunResult } from '../kernel-model/machine.js';
import { RSEQ_CS_SIZE, RseqCsField, RseqField } from '../kernel-model/rseq.js';
import { buildCodeView, type CodeView, type Decode } from './code-view.js';
import { readPerCpuData, type PerCpuDataView } from './percpu-data.js';
import { readRegisters, type RegisterView } from './registers.js';

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

/** A point of the timeline: an injected event or an rseq abort, on the vCPU the thread was on. */
export interface TimelineMark {
  t: number;
  cpu: number;
  tid: number;
  what: 'inject' | 'abort';
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

/** The session as it was before one user action: the machine's snapshot and what the session itself keeps. */
interface HistoryEntry {
  snapshot: MachineSnapshot;
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

export class Session {
  private last?: RunResult;
  private readonly log: LogEntry[] = [];
  /** Each thread's rseq field values before the last step or run ("tid:name" -> value). */
  private before = new Map<string, string>();
  private readonly segments: RunSegment[] = [];
  private readonly marks: TimelineMark[] = [];
  /** Snapshots before each user action, oldest first (at most HISTORY_LIMIT). */
  private readonly history: HistoryEntry[] = [];

  private constructor(readonly machine: Machine, readonly choice: SessionChoice) {
    machine.onEvent((e) => {
      if (e.kind === 'run') this.addRun(e.cpu, e.tid, Number(e.t), e.retired);
      if (e.kind === 'inject') this.marks.push({ t: this.now(e.cpu), cpu: e.cpu, tid: e.tid, what: 'inject', detail: e.what });
      if (e.kind === 'rseq' && e.what === 'abort') {
        const cpu = machine.kernel.tasks.get(e.tid)?.cpu ?? 0;
        this.marks.push({ t: this.now(cpu), cpu, tid: e.tid, what: 'abort', detail: e.detail });
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
  private checkpoint(): void {
    this.history.push({
      snapshot: this.machine.snapshot(),
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

  /** Undoes the last user action: the machine, the log, the timeline and the changed-field marks are exactly as they were. False when there is nothing to undo. */
  back(): boolean {
    const h = this.history.pop();
    if (!h) return false;
    this.machine.restore(h.snapshot);
    this.machine.releaseSnapshot(h.snapshot);
    this.last = h.last;
    this.before = h.before;
    this.log.length = h.log;
    this.segments.splice(0, this.segments.length, ...h.segments);
    this.marks.length = h.marks;
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
    return this.runFor(1);
  }

  /** Everything up to the program's end (one run, so the schedule is the same as one Machine.run in Node). */
  runToEnd(): RunResult {
    return this.runFor(RUN_TO_END_BUDGET);
  }

  private runFor(maxInstructions: number): RunResult {
    if (this.ended) return this.last!;
    this.checkpoint();
    this.last = this.machine.run({ maxInstructions });
    return this.last;
  }

  /** One instruction of the scheduler's choice, without marking a new "before" for changed fields. */
  private once(): void {
    if (!this.ended) this.last = this.machine.run({ maxInstructions: 1 });
  }

  /** Steps until thread tid has retired one more instruction (other threads may run meanwhile), or it is gone. */
  stepThread(tid: number): void {
    const start = this.instructionsOf(tid);
    if (start === undefined) throw new Error(`thread ${tid} is not alive`);
    this.checkpoint();
    for (let n = 0; n < RUN_TO_SECTION_BUDGET && !this.ended; n++) {
      this.once();
      const now = this.instructionsOf(tid);
      if (now === undefined || now > start) return;
    }
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
    const tasks = () => [...this.machine.kernel.tasks.values()].filter((t) => (tid === undefined || t.tid === tid) && t.state !== 'dead');
    const atStart = (t: { tid: number; ctx: { rip: bigint } }) => this.sectionsOf(t.tid).some((s) => s.start === Number(t.ctx.rip));
    const waiting = new Set(tasks().filter(atStart).map((t) => `${t.tid}:${t.cpuNs}`));
    this.checkpoint();
    for (let n = 0; n < RUN_TO_SECTION_BUDGET && !this.ended; n++) {
      const there = tasks().find((t) => atStart(t) && !waiting.has(`${t.tid}:${t.cpuNs}`));
      if (there) return there.tid;
      if (tid !== undefined && tasks().length === 0) return undefined;
      this.once();
    }
    return undefined;
  }

  /** Injects a preemption, migration or signal into thread tid at exactly its current instruction, then steps that thread once. */
  injectHere(tid: number, action: InjectAction): number {
    const count = this.instructionsOf(tid);
    if (count === undefined) throw new Error(`thread ${tid} is not alive`);
    this.checkpoint();
    const id = this.machine.inject({ action, at: { kind: 'instructions', tid, count } });
    // Until the event is applied and the thread is back in user space: it
    // retired an instruction, or the kernel moved it to an abort handler
    // (then it stops there, about to run the handler's first instruction).
    const from = this.log.length;
    for (let n = 0; n < RUN_TO_SECTION_BUDGET && !this.ended; n++) {
      this.once();
      const now = this.instructionsOf(tid);
      if (now === undefined || now > count) break;
      if (this.log.slice(from).some((e) => e.tid === tid && e.what === 'abort')) break;
    }
    return id;
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
    const hex = (n: bigint | number) => '0x' + n.toString(16);
    const fields: { name: string; value: string }[] = [
      { name: 'cpu_id_start', value: String(area.getInt32(RseqField.cpuIdStart, true)) },
      { name: 'cpu_id', value: String(area.getInt32(RseqField.cpuId, true)) },
      { name: 'rseq_cs', value: hex(area.getBigUint64(RseqField.rseqCs, true)) },
      { name: 'flags', value: hex(area.getUint32(RseqField.flags, true)) },
    ];
    if (reg.length >= RseqField.nodeId + 4 && area.byteLength >= RseqField.nodeId + 4) fields.push({ name: 'node_id', value: String(area.getUint32(RseqField.nodeId, true)) });
    if (reg.length >= RseqField.mmCid + 4 && area.byteLength >= RseqField.mmCid + 4) fields.push({ name: 'mm_cid', value: String(area.getUint32(RseqField.mmCid, true)) });
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
          section: this.sectionsOf(t.tid).find((s) => Number(t.rip) >= s.start && Number(t.rip) < s.postCommit),
          registers: readRegisters(task.ctx).map((reg) => ({ ...reg, changed: this.changed(`${t.tid}:reg.${reg.name}`, reg.value) })),
        };
      }),
      events: [...this.log],
      perCpu: this.markPerCpu(this.perCpuData()),
    };
  }
}
