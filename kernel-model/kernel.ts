// The kernel: the objects one machine shares (CPU, profile, clock, random
// sources, vCPUs, scheduler, timers, futexes, the process and thread
// tables, the event stream) and the transitions of a task's life: sleeping
// and waking, exiting, and the end of a process. System calls live in
// syscalls/ and call into these objects; signals in signal-delivery.ts;
// the loop that runs user code in machine.ts.

import type { AccessKind, Cpu } from '../emulator/api.js';
import { CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_THREAD_CPUTIME_ID, VirtualClock } from './clock.js';
import { hashEvent, TraceHash, type MachineEvent } from './events.js';
import { FutexTable } from './futex.js';
import type { KernelProfile } from './kernel-profile.js';
import type { SeededRandom } from './prng.js';
import { Scheduler, type QuantumPolicy } from './scheduler.js';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';
import { TimerQueue } from './timers.js';
import { UserMemory } from './user-memory.js';
import { VCpu, nodeOfCpu } from './vcpu.js';
import type { WakeReason } from './wait.js';

/** What the CPU reported when an instruction faulted. */
export interface FaultReport {
  signal: number;
  /** The guest address that could not be accessed (page faults), else rip. */
  address: number;
  /** The faulting instruction (for SIGTRAP: the instruction after int3). */
  rip: number;
  /** Up to 15 bytes at rip, for disassembly; empty when rip is not readable. */
  bytes: Uint8Array;
  access?: AccessKind;
  /** 'unmapped' (SEGV_MAPERR) or 'protection' (SEGV_ACCERR) for page faults. */
  cause?: 'unmapped' | 'protection' | 'invalid-opcode' | 'ud' | 'divide-error' | 'simd-exception' | 'x87-exception' | 'general-protection' | 'stack-segment' | 'hlt' | 'breakpoint' | 'out-of-memory';
}

/** How the run ended: the first process's fate, or a machine-wide stop. */
export type Termination =
  | { kind: 'exited'; code: number }
  | { kind: 'killed'; signal: number; fault?: FaultReport; reason?: string }
  | { kind: 'unsupported'; message: string }
  | { kind: 'deadlock'; message: string };

export interface KernelOptions {
  cpu: Cpu;
  profile: KernelProfile;
  /** The stream getrandom and /dev/urandom read. */
  random: SeededRandom;
  /** The stream the scheduler draws from. */
  schedulerRandom: SeededRandom;
  cpus: number;
  nodes: number;
  quantum?: QuantumPolicy;
  warn: (message: string) => void;
  /** Thread and process limit (RLIMIT_NPROC-style, machine-wide). */
  maxTasks: number;
  /** CONFIG_DEBUG_RSEQ: the checker's findings kill, the fixup checks every descriptor field. */
  debugRseq?: boolean;
}

/** A subscriber to the event stream: all kinds, or the listed ones. */
interface Listener {
  listener: (e: MachineEvent) => void;
  kinds: readonly MachineEvent['kind'][] | undefined;
}

function listens(l: Listener, kind: MachineEvent['kind']): boolean {
  return !l.kinds || l.kinds.includes(kind);
}

export class Kernel {
  readonly cpu: Cpu;
  readonly profile: KernelProfile;
  readonly clock: VirtualClock;
  readonly random: SeededRandom;
  readonly mem: UserMemory;
  readonly vcpus: VCpu[];
  readonly nodes: number;
  readonly scheduler: Scheduler;
  readonly timers = new TimerQueue();
  readonly futexes: FutexTable;
  readonly tasks = new Map<number, Task>();
  readonly processes = new Map<number, ThreadGroup>();
  readonly maxTasks: number;
  readonly debugRseq: boolean;
  /** The rseq ABI checker's findings (rseq-checker.ts), in order; each is also a 'finding' event. */
  readonly findings: Extract<MachineEvent, { kind: 'finding' }>[] = [];
  /** Bumped whenever a registered rseq area appears or goes (the machine re-arms its write watches). */
  rseqAreasVersion = 0;
  /** What execve needs to build images as the machine did at start-up (set by the machine). */
  execEnv: import('./exec.js').ExecEnvironment | undefined;
  /** Injected events not applied yet (injection.ts); part of the state a snapshot restores. */
  readonly injections: import('./injection.js').PendingInjection[] = [];
  nextInjectionId = 1;
  /** Chaos mode and its own random stream (Machine.setChaos); part of what a snapshot restores. */
  chaos: import('./injection.js').ChaosOptions | undefined;
  chaosRandom: SeededRandom | undefined;
  /** The first process: its exit status is the run's. */
  init: ThreadGroup | undefined;
  /** Set once the run is over. */
  termination?: Termination;
  /** Syscall names reported as not implemented, in first-seen order. */
  readonly notImplemented: string[] = [];
  readonly traceHash = new TraceHash();
  private readonly listeners: Listener[] = [];
  private readonly warned = new Set<string>();

  /** What a machine snapshot leaves alone: event subscriptions and the warnings already given. */
  snapshotExempt(): object[] {
    return [this.listeners, this.warned, this.notImplemented];
  }
  private readonly warnSink: (message: string) => void;
  private nextPid = 1000;
  /** Processes and threads created since boot (/proc/stat processes). */
  forks = 1;
  /** The last pid handed out (/proc/loadavg). */
  lastPid = 1000;
  private nextInode = 0x10000;
  /** Machine time no clock read may go below (keeps CLOCK_MONOTONIC monotonic across vCPUs). */
  private observed = 0n;

  constructor(options: KernelOptions) {
    this.cpu = options.cpu;
    this.profile = options.profile;
    this.random = options.random;
    this.warnSink = options.warn;
    this.maxTasks = options.maxTasks;
    this.debugRseq = options.debugRseq ?? false;
    this.mem = new UserMemory(options.cpu);
    this.clock = new VirtualClock();
    this.nodes = options.nodes;
    this.vcpus = Array.from({ length: options.cpus }, (_, i) => new VCpu(i, nodeOfCpu(i, options.cpus, options.nodes)));
    this.futexes = new FutexTable({ wake: (t, r) => this.wake(t, r), taskByTid: (tid) => this.tasks.get(tid) });
    this.scheduler = new Scheduler(this.vcpus, options.schedulerRandom, {
      emit: (e) => this.emit(e),
      switchedIn: (t, v) => this.switchedIn(t, v),
      switchedOut: (t, v) => this.switchedOut(t, v),
      migrated: (t) => t.rseq.migrated(),
    }, options.quantum);
  }

  // --- events -----------------------------------------------------------------

  /**
   * Subscribes to the event stream, or to the listed kinds only; returns the
   * unsubscribe function. Events nobody wants are not even made (a
   * quantum's run, a system call): a fuzzer watching for aborts does not
   * pay for the rest.
   */
  subscribe(listener: (e: MachineEvent) => void, kinds?: readonly MachineEvent['kind'][]): () => void {
    const entry = { listener, kinds };
    this.listeners.push(entry);
    return () => {
      const i = this.listeners.indexOf(entry);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Whether some listener wants events of this kind. */
  wants(kind: MachineEvent['kind']): boolean {
    return this.listeners.some((l) => listens(l, kind));
  }

  /** An event: into the trace hash, then to the listeners. */
  emit(e: MachineEvent): void {
    hashEvent(this.traceHash, e);
    this.notify(e);
  }

  /**
   * An event for the listeners only. For the events made only while someone
   * listens (a quantum's run, a system call): their site hashes the same
   * words whether or not anyone does, so the trace hash of a run does not
   * depend on --trace or on a fuzzer watching it.
   */
  notify(e: MachineEvent): void {
    for (const l of this.listeners) if (listens(l, e.kind)) l.listener(e);
  }

  /** Reports `message` the first time `key` is seen. */
  warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warnSink(message);
  }

  warn(message: string): void {
    this.warnSink(message);
  }

  reportNotImplemented(nr: number, name: string | undefined): void {
    const label = name ?? `#${nr}`;
    if (!this.notImplemented.includes(label)) this.notImplemented.push(label);
    this.warnOnce(`enosys:${nr}`, name
      ? `rseqlab: syscall '${name}' (${nr}) not implemented; returned ENOSYS`
      : `rseqlab: syscall ${nr} does not exist on x86-64; returned ENOSYS`);
  }

  // --- time -------------------------------------------------------------------

  /** Machine time as the task sees it: its vCPU's clock, never below a time another task has read. */
  timeOf(task: Task | undefined): bigint {
    const local = task ? this.vcpus[task.cpu].clock : this.globalTime();
    if (local > this.observed) this.observed = local;
    return this.observed;
  }

  /** timeOf without reading the clock (observed stays): for events made only while someone listens, so watching changes no time the guest reads. */
  peekTimeOf(task: Task): bigint {
    const local = this.vcpus[task.cpu].clock;
    return local > this.observed ? local : this.observed;
  }

  /** The earliest clock among busy vCPUs (or the latest clock when all are idle). */
  globalTime(): bigint {
    let min: bigint | undefined;
    let max = 0n;
    for (const v of this.vcpus) {
      if (v.clock > max) max = v.clock;
      if (v.busy && (min === undefined || v.clock < min)) min = v.clock;
    }
    return min ?? max;
  }

  /** clock_gettime for a task: ns on clockId, or -EINVAL. */
  readClock(clockId: number, task: Task): bigint | number {
    if (clockId === CLOCK_THREAD_CPUTIME_ID) return task.cpuNs;
    if (clockId === CLOCK_PROCESS_CPUTIME_ID) return task.group.cpuNs();
    return this.clock.read(clockId, this.timeOf(task));
  }

  /** Machine time of an absolute deadline on CLOCK_REALTIME or CLOCK_MONOTONIC. */
  deadlineFrom(clockId: number, absoluteNs: bigint): bigint {
    return this.clock.machineTimeAt(clockId === CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC, absoluteNs);
  }

  // --- tasks ------------------------------------------------------------------

  /** Inode numbers of pipes and other anonymous files (pipefs), in creation order. */
  allocateInode(): number {
    return this.nextInode++;
  }

  allocatePid(): number {
    while (this.tasks.has(this.nextPid) || this.processes.has(this.nextPid)) this.nextPid++;
    this.forks++;
    this.lastPid = this.nextPid;
    return this.nextPid++;
  }

  /** The address-space id the futex keys of a task use. */
  mmId(task: Task): number {
    return task.group.mm.id;
  }

  /**
   * get_futex_key: a private futex is (address space, address); a shared
   * one in a MAP_SHARED mapping is (shared object, offset), so processes
   * that map the same pages at any address meet on the same queue.
   */
  futexKey(task: Task, addr: number, isPrivate: boolean): string {
    if (!isPrivate) {
      const vma = task.group.mm.map.find(addr);
      if (vma?.object) return `o${vma.object.id}:${vma.object.page * 4096 + (addr - vma.start)}`;
    }
    return FutexTable.key(task.group.mm.id, addr);
  }

  private switchedIn(task: Task, v: VCpu): void {
    task.group.mm.allocateCid(task);
    // Returning to user space on this vCPU: signals, then rseq notify-resume.
    task.returnWork = true;
    void v;
  }

  private switchedOut(task: Task, _v: VCpu): void {
    // rseq_preempt: every context switch away records the preempt event.
    task.rseq.event(1);
    task.group.mm.releaseCid(task);
  }

  /**
   * The task sleeps in the system call it is executing (wait.ts). It leaves
   * its vCPU, and a timer is armed for the deadline.
   */
  sleep(task: Task, wait: NonNullable<Task['wait']>): void {
    task.wait = wait;
    task.wakeReason = undefined;
    const now = this.timeOf(task);
    if (wait.deadline !== undefined) {
      const at = wait.deadline > now ? wait.deadline : now;
      task.waitTimer = this.timers.add(at, `${wait.what.kind} timeout of tid ${task.tid}`, () => this.wake(task, 'timeout'));
    }
    this.scheduler.switchOut(task, 'block', now);
    task.state = 'blocked';
  }

  /** Ends a task's sleep: it becomes runnable and computes its result when it next runs. */
  wake(task: Task, reason: WakeReason): void {
    if (task.state !== 'blocked' || !task.wait) return;
    task.wait.cancel?.();
    this.timers.cancel(task.waitTimer);
    task.waitTimer = undefined;
    task.wakeReason = reason;
    this.scheduler.wake(task, this.globalTime());
  }

  /**
   * signal_wake_up: a signal wakes a task sleeping interruptibly (fatal
   * signals do not come here: they end the whole group at once, exit.ts).
   */
  interrupt(task: Task): void {
    if (task.state !== 'blocked' || !task.wait) return;
    if (task.wait.interruptible) this.wake(task, 'signal');
  }

  /** Runs fn with the task's address space current (kernel work on behalf of another process). */
  withAddressSpaceOf<T>(task: Task, fn: () => T): T {
    return this.withAddressSpace(task.group.mm.id, fn);
  }

  withAddressSpace<T>(id: number, fn: () => T): T {
    const before = this.cpu.currentAddressSpace();
    if (before === id) return fn();
    this.cpu.useAddressSpace(id);
    try {
      return fn();
    } finally {
      this.cpu.useAddressSpace(before);
    }
  }

  /** The task's register file is no longer needed. */
  releaseTask(task: Task): void {
    this.deadContexts.push(task.ctx);
  }

  /** Register files of dead tasks, returned to the CPU between steps (never while one may still be running). */
  readonly deadContexts: import('../emulator/api.js').CpuContext[] = [];

  /** Address spaces no process uses any more: destroyed by the machine once none of them is current. */
  readonly deadAddressSpaces: import('./address-space.js').AddressSpace[] = [];

  /**
   * Keeps mm_cid below min(tasks using `mm`, CPUs they may use) after the
   * bound shrank; a task whose ID changed gets its rseq IDs rewritten on
   * its next return to user space.
   */
  compactCids(mm: import('./address-space.js').AddressSpace): void {
    const users = [...this.tasks.values()].filter((t) => t.alive && t.group.mm === mm);
    let cpus = 0n;
    for (const t of users) cpus |= t.allowed;
    cpus &= (1n << BigInt(this.vcpus.length)) - 1n;
    let allowed = 0;
    for (let m = cpus; m !== 0n; m &= m - 1n) allowed++;
    const limit = Math.max(1, Math.min(users.length, allowed));
    const running = users.filter((t) => t.mmCid >= 0);
    for (const t of mm.compactCids(running, limit)) {
      t.rseq.notifyResume = t.rseq.registration !== undefined;
      t.returnWork = true;
    }
  }

  /** A process stops using an address space (exit, exec); the last user frees it. */
  dropAddressSpace(mm: import('./address-space.js').AddressSpace): void {
    mm.users--;
    if (mm.users === 0) this.deadAddressSpaces.push(mm);
  }

  /** A process has exited (it may still be a zombie). */
  processGone(group: ThreadGroup): void {
    if (group === this.init) this.initStatus = group.exitHow;
    this.checkFinished();
  }

  /** A zombie was collected. */
  processReaped(_group: ThreadGroup): void {
    this.checkFinished();
  }

  /** How the first process ended, once it has. */
  initStatus: import('./exit.js').ExitHow | undefined;

  /** The run is over when the first process has exited and no process is left running. */
  private checkFinished(): void {
    if (this.termination || !this.initStatus) return;
    for (const p of this.processes.values()) if (p.state === 'alive') return;
    const how = this.initStatus;
    this.termination = how.signal !== undefined
      ? { kind: 'killed', signal: how.signal, fault: how.fault, reason: how.reason }
      : { kind: 'exited', code: (how.code ?? 0) & 0xff };
  }

  // --- the end of a run -------------------------------------------------------

  /** Stops the run at something rseqlab does not model yet, saying what. */
  unsupported(message: string): void {
    this.termination ??= { kind: 'unsupported', message };
  }

  deadlock(message: string): void {
    this.termination ??= { kind: 'deadlock', message };
  }

  /** Describes a task's wait in one line (deadlock and budget reports). */
  describeWait(task: Task): string {
    const state = task.state === 'blocked' && task.wait ? `blocked in ${task.wait.what.detail}` : task.state;
    return `tid ${task.tid} (pid ${task.group.tgid}, ${task.group.comm}) on vCPU ${task.cpu}: ${state}`;
  }

}
