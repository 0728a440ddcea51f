// One machine: a CPU, several vCPUs, the kernel model and the processes it
// runs. The CLI, the tests, the fuzzer and the playground all drive this
// object.
//
//   const m = Machine.create({ cpu, program, path, argv, envp, seed, cpus: 4 });
//   const result = m.run({ maxInstructions: 1e9 });
//
// run() is the machine's loop: the scheduler picks the vCPU whose clock is
// furthest behind, the CPU runs that vCPU's task for a seeded quantum (or
// until the next timer, time slice end or the budget), and the kernel acts
// on the stop: a system call is dispatched (it may put the task to sleep), a
// fault becomes the signal Linux would send (arch/x86/kernel/traps.c,
// arch/x86/mm/fault.c). Before a task runs user code again it goes through
// the kernel's return path (exit_to_user_mode: signals, then rseq
// notify-resume). Nothing here reads the host clock or Math.random: the
// same options and seed give the same run, event for event.

import { Reg, StopReason, type Cpu, type CpuContext, type MemoryExhaustion, type StopInfo } from '../emulator/api.js';
import { parseElf, type CriticalSection, type ElfImage, type ParseOptions, type SymbolTable } from './elf.js';
import { sectionAt } from './elf-rseq.js';
import type { MachineEvent } from './events.js';
import { describeInjection, type ChaosOptions, type Injection, type PendingInjection } from './injection.js';
import { captureGraph, restoreGraph, type GraphSnapshot } from './object-snapshot.js';
import { oomKillReason } from './out-of-memory.js';
import { exitGroup } from './exit.js';
import { InputPipe, O_CREAT, O_TRUNC, O_WRONLY, OutputPipe } from './files.js';
import type { AuxEntry } from './initial-stack.js';
import { Kernel, type FaultReport, type Termination } from './kernel.js';
import { kernelProfile, type KernelProfileName } from './kernel-profile.js';
import { hex } from './layout.js';
import { loadElf, setInitialRegisters, type LoadedProgram } from './loader.js';
import type { Vma } from './memory-map.js';
import { SeededRandom } from './prng.js';
import { ORIG_RSEQ_SIZE, RSEQ_EVENT_PREEMPT, RSEQ_READ_ONLY_RANGES, RseqField, rseqNotifyResume, rseqSignalDeliver, type RseqExit, type RseqViolation } from './rseq.js';
import { checkSectionWrite, checkSections, checkSyscallInSection, reportFinding } from './rseq-checker.js';
import { sliceExpired, sliceOnReschedule, sliceSyscallEntry } from './rseq-slice.js';
import { TIME_SLICE_NS } from './scheduler.js';
import { FPE_FLTDIV, FPE_FLTINV, FPE_FLTOVF, FPE_FLTRES, FPE_FLTUND, FPE_INTDIV, ILL_ILLOPN, SEGV_ACCERR, SEGV_MAPERR, SI_KERNEL, type SigInfo } from './siginfo.js';
import { doSignal, dumpsCore, forceFault, hasDeliverable, sendSignal } from './signal-delivery.js';
import { SIGBUS, SIGFPE, SIGILL, SIGKILL, SIGPROF, SIGSEGV, SIGTRAP, SIGVTALRM, signalName } from './signals.js';
import { buildSyscallTable, completeSyscall, dispatchSyscall, type SyscallEntry } from './syscalls/index.js';
import { Task } from './task.js';
import { AddressSpace, FdTable, ResourceLimits, SignalActions, ThreadGroup } from './thread-group.js';
import { allCpusMask, cpuAllowed } from './vcpu.js';
import { normalize, Vfs, type HostTree } from './vfs.js';
import { systemView } from './system-view.js';

/**
 * fpu__exception_code for #XM (arch/x86/kernel/fpu/core.c): the raised
 * exceptions MXCSR does not mask, the first of invalid, divide by zero,
 * overflow, underflow/denormal, precision.
 */
export function simdFpeCode(mxcsr: number): number {
  return fpeCode(~(mxcsr >>> 7) & mxcsr & 0x3f);
}

/** fpu__exception_code for #MF: the status word's flags the control word does not mask. */
export function x87FpeCode(cwd: number, swd: number): number {
  return fpeCode(swd & ~cwd & 0x3f);
}

/** The FPE_* code of a set of raised, unmasked exception flags (the order Linux tests them in). */
function fpeCode(err: number): number {
  if (err & 0x01) return FPE_FLTINV;
  if (err & 0x04) return FPE_FLTDIV;
  if (err & 0x08) return FPE_FLTOVF;
  if (err & 0x12) return FPE_FLTUND;
  if (err & 0x20) return FPE_FLTRES;
  return 0;
}

/**
 * AT_HWCAP is CPUID.1:EDX (arch/x86/include/asm/elf.h ELF_HWCAP): exactly
 * what emulator/assembly/cpuid.ts reports: fpu tsc cx8 cmov mmx fxsr sse sse2.
 * Linux puts nothing of CPUID.1:ECX (SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT)
 * in the auxiliary vector; programs read cpuid for those.
 */
export const DEFAULT_HWCAP = 0x07808111;
export const DEFAULT_UID = 1000;
export const DEFAULT_CPUS = 4;
export const MAX_CPUS = 64;
/** Addresses one run of a thread can stop at (the CPU's breakpoint list). */
const MAX_BREAKPOINTS = 16;
/** Guest memory by default: 1 GiB of 4 KiB frames. */
export const DEFAULT_MEMORY_BYTES = 1 << 30;
/** Threads and processes the machine allows at once (fork and clone fail with EAGAIN beyond). */
export const DEFAULT_MAX_TASKS = 4096;

export interface MachineOptions {
  cpu: Cpu;
  /** The executable's bytes. */
  program: Uint8Array;
  /** The path the program was started by (execve's filename: AT_EXECFN, default argv[0]). */
  path: string;
  /** The full argument vector, argv[0] included; default [path]. */
  argv?: string[];
  envp?: string[];
  stdin?: Uint8Array;
  /** Read-only files the guest can open, path -> bytes. */
  files?: ReadonlyMap<string, Uint8Array>;
  /** Seeds every choice: scheduling, AT_RANDOM, getrandom. */
  seed: number;
  /** Kernel version to behave as (kernel-profile.ts; default 'current' = 7.0). */
  kernelProfile?: KernelProfileName | 'current';
  /**
   * CONFIG_DEBUG_RSEQ: the ABI checker's dynamic findings kill with SIGSEGV
   * and the fixup checks every descriptor field, as a debug kernel does.
   */
  debugRseq?: boolean;
  /** Virtual CPUs (default 4, at most 64). */
  cpus?: number;
  /** NUMA nodes; the CPUs are split evenly across them (default 1). */
  nodes?: number;
  /** Mean instructions a vCPU runs before another busy vCPU may interleave (default 1000). */
  quantum?: number;
  /**
   * After each injected event (not --chaos), the thread's next critical
   * section (or the rest of the one it is in) runs one instruction per
   * quantum, and after each instruction its vCPU waits until every other
   * busy vCPU has run: the other threads really touch the same per-CPU data
   * while the section is half done. Real CPUs run in parallel, so a section
   * that trusts a stale CPU number races with the thread on that CPU; the
   * usual quanta of about a thousand instructions would rarely split an
   * eleven-instruction section. The fuzzer and explore run with it.
   */
  stepSectionAfterInjection?: boolean;
  /** Thread and process limit (default 4096). */
  maxTasks?: number;
  /**
   * Guest memory the machine has (default 1 GiB): touching a fresh page
   * beyond it ends the process that asked, as Linux's OOM killer would.
   */
  memoryBytes?: number;
  /** Host directory trees shown read-only at guest paths (--dir). */
  trees?: readonly { guest: string; tree: HostTree }[];
  /** Target of /proc/self/exe (default: path, made absolute against cwd). */
  exePath?: string;
  cwd?: string;
  /** AT_HWCAP: CPUID leaf 1 EDX of the emulated CPU. */
  hwcap?: number;
  uid?: number;
  gid?: number;
  /** Where a static PIE is placed (default 0x555555554000). */
  pieBase?: number;
  onStdout?: (bytes: Uint8Array) => void;
  onStderr?: (bytes: Uint8Array) => void;
  /** One line per problem worth a person's attention (unimplemented syscalls, malformed rseq tables, ...). */
  onWarning?: (message: string) => void;
}

export type RunKind = 'exited' | 'killed' | 'budget-exhausted' | 'deadlock' | 'unsupported' | 'paused';

export interface RunResult {
  kind: RunKind;
  /** exited: the status; killed: 128 + signal, as a shell reports it; otherwise null. */
  exitCode: number | null;
  signal?: { number: number; name: string };
  /** The faulting instruction when the CPU raised the signal. */
  fault?: FaultReport & { symbol?: string };
  /** Why, in words: rseq violations, deadlocks, unmodelled features, the budget. */
  message?: string;
  /** One line per live thread when the run stopped without the program ending (deadlock, budget). */
  threads?: string[];
  /** 'paused': the event that met RunOptions.until (none when RunOptions.yieldWhen asked). */
  event?: MachineEvent;
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** Instructions retired since the machine was created. */
  retired: number;
  /** Machine time (ns) at the end. */
  timeNs: bigint;
  /** FNV-1a over every event so far: same program, options and seed, same hash. */
  traceHash: string;
  syscallsNotImplemented: string[];
  /** The rseq ABI checker's findings (rseq-checker.ts), static ones first. */
  findings: Extract<MachineEvent, { kind: 'finding' }>[];
}

/**
 * A machine's state at one moment, to come back to (Machine.snapshot):
 * guest memory (the CPU's copy-on-write snapshot), every thread's register
 * file, and the kernel's objects. Restore it any number of times; release
 * it when done.
 */
export interface MachineSnapshot {
  readonly retired: number;
  /** Kernel objects recorded (a measure of the snapshot's cost). */
  readonly objects: number;
}

interface SnapshotState extends MachineSnapshot {
  memory: number;
  registers: [CpuContext, CpuContext][];
  graph: GraphSnapshot;
  released: boolean;
}

export interface RunOptions {
  maxInstructions: number;
  /**
   * Stop as soon as an event satisfies this (the step that produced it
   * completes first): run "until the next event" for a page or a tool.
   * The result's kind is then 'paused' and the machine can run on.
   */
  until?: (e: MachineEvent) => boolean;
  /**
   * Asked between scheduling steps (never inside a quantum): true returns
   * at once with kind 'paused' and no event, e.g. when a page must paint.
   * A quantum is cut only by the instruction limit, so running on with the
   * same limit (maxInstructions = limit - retired) makes exactly the
   * schedule one uninterrupted run would have made.
   */
  yieldWhen?: () => boolean;
}

/** One thread as the Machine API shows it. */
export interface ThreadInfo {
  tid: number;
  pid: number;
  name: string;
  state: Task['state'];
  cpu: number;
  rip: bigint;
  waitingOn?: string;
}

export interface VCpuInfo {
  id: number;
  node: number;
  /** The running thread, or 0 when idle. */
  current: number;
  queued: number[];
  clockNs: bigint;
}

const TGID = 1000;

/** Signals the task's process has a handler for (chaos sends only those: others would just kill it). */
function handledSignals(task: Task): number[] {
  const out: number[] = [];
  for (let sig = 1; sig <= 64; sig++) {
    if (sig === SIGKILL || sig === 19) continue;
    const h = task.group.actions.get(sig).handler;
    if (h !== 0n && h !== 1n) out.push(sig);
  }
  return out;
}

/** A CPU register file (wasm-backed): the machine copies those itself. */
function isRegisterFile(o: object): boolean {
  return 'gpr' in o && 'rip' in o && 'fxsaveImage' in o;
}

/** Writes a file (and its directories) into the guest's /tmp, as if it had been there at boot. */
function placeInTmpfs(vfs: Vfs, path: string, bytes: Uint8Array, uid: number, gid: number): void {
  const at = { base: vfs.root, caller: { ...vfs.callerFor(TGID), uid, gid, umask: 0o022 } };
  const parts = path.split('/').filter(Boolean);
  for (let i = 2; i < parts.length; i++) vfs.mkdir(at, '/' + parts.slice(0, i).join('/'), 0o755);
  const f = vfs.open(at, path, O_CREAT | O_WRONLY | O_TRUNC, 0o755);
  if ('errno' in f) throw new Error(`internal: cannot place the program at ${path} in the guest's /tmp (errno ${f.errno})`);
  f.write(bytes);
  f.release?.();
}

export class Machine {
  readonly kernel: Kernel;
  readonly image: ElfImage;
  readonly loaded: LoadedProgram;
  private readonly stdout: OutputPipe;
  private readonly stderr: OutputPipe;
  private readonly syscalls: ReadonlyMap<number, SyscallEntry>;
  private retiredTotal = 0;
  /** Snapshots not yet released: while any exists, register files and address spaces are not recycled. */
  private liveSnapshots = 0;
  private readonly mainTask: Task;
  /** The address space (mm id) and rseqAreasVersion the CPU's write watches were set for (-1: none). */
  private armedMm = -1;
  private armedVersion = -1;

  private constructor(
    readonly cpu: Cpu,
    private readonly options: MachineOptions,
    image: ElfImage,
  ) {
    const warn = options.onWarning ?? (() => {});
    const profile = kernelProfile(options.kernelProfile ?? 'current');
    const random = new SeededRandom(options.seed);
    const cpus = options.cpus ?? DEFAULT_CPUS;
    const nodes = options.nodes ?? 1;
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > MAX_CPUS) throw new RangeError(`cpus must be 1..${MAX_CPUS}, not ${cpus}`);
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > cpus) throw new RangeError(`nodes must be 1..cpus (${cpus}), not ${nodes}`);
    this.kernel = new Kernel({
      cpu,
      profile,
      random: random.fork('getrandom'),
      schedulerRandom: random.fork('scheduler'),
      cpus,
      nodes,
      quantum: options.quantum === undefined ? undefined : { mean: options.quantum },
      warn,
      maxTasks: options.maxTasks ?? DEFAULT_MAX_TASKS,
      debugRseq: options.debugRseq,
    });
    cpu.setFrameLimit(Math.floor((options.memoryBytes ?? DEFAULT_MEMORY_BYTES) / 4096));
    const uid = options.uid ?? DEFAULT_UID;
    const gid = options.gid ?? DEFAULT_UID;
    const cwd = options.cwd ?? '/';
    // /proc/self/exe is absolute (glibc's _dl_get_origin asserts it): relative paths resolve against cwd.
    const exePath = normalize(options.exePath ?? options.path, cwd);
    const files = new Map(options.files ?? []);
    // The program itself is a file of the guest (execve of /proc/self/exe, busybox's applets):
    // a read-only file, or under /tmp (a tmpfs the machine generates) a file written there.
    const top = exePath.split('/').filter(Boolean)[0];
    const inGenerated = ['tmp', 'dev', 'proc', 'sys'].includes(top);
    if (!files.has(exePath) && !inGenerated) files.set(exePath, options.program);
    const devRandom = random.fork('dev-random');
    const vfs = new Vfs({ files, exePath, cwd, uid, gid, trees: options.trees, system: systemView(this.kernel), random: { bytes: (n: number) => devRandom.bytes(n) } });
    if (top === 'tmp') placeInTmpfs(vfs, exePath, options.program, uid, gid);
    const rlimits = new ResourceLimits();
    const argv = options.argv ?? [options.path];
    const envp = options.envp ?? [];
    const mm = new AddressSpace(cpu, cpu.currentAddressSpace());
    const group = new ThreadGroup(TGID, undefined, { uid, euid: uid, gid, egid: gid }, mm, new FdTable(() => rlimits.fileLimit()), new SignalActions(), rlimits, vfs, exePath, argv, envp);
    this.kernel.processes.set(TGID, group);
    this.kernel.init = group;
    group.image = image;
    const execRandom = random.fork('exec');
    const hwcap = options.hwcap ?? DEFAULT_HWCAP;
    this.kernel.execEnv = { hwcap, randomBytes: () => execRandom.bytes(16) };
    this.image = image;
    for (const w of image.warnings) warn(`rseqlab: ${options.path}: ${w}`);

    this.stdout = new OutputPipe(options.onStdout, 3, uid, gid);
    this.stderr = new OutputPipe(options.onStderr, 4, uid, gid);
    group.fds.install(0, new InputPipe(options.stdin ?? new Uint8Array(0), 2, uid, gid));
    group.fds.install(1, this.stdout);
    group.fds.install(2, this.stderr);

    this.loaded = loadElf(image, group.mm, cpu, {
      argv,
      envp,
      execFn: options.path,
      randomBytes: random.fork('at_random').bytes(16),
      profile,
      hwcap,
      uid,
      euid: uid,
      gid,
      egid: gid,
    }, options.path);
    const task = new Task(TGID, cpu.createContext(), group, allCpusMask(cpus), exePath.split('/').pop() ?? '');
    group.tasks.push(task);
    this.kernel.tasks.set(TGID, task);
    this.mainTask = task;
    setInitialRegisters(task.ctx, this.loaded);
    this.kernel.emit({ kind: 'task-new', t: 0n, tid: TGID, pid: TGID, parent: 0, cpu: 0, thread: false });
    this.kernel.scheduler.enqueueNew(task, 0n);
    this.syscalls = buildSyscallTable();
    for (const f of checkSections(image.criticalSections, (addr) => cpu.decode(addr))) {
      reportFinding(this.kernel, undefined, f.rule, f.detail, f.address);
    }
  }

  /** Parses the program (ElfError on bad input), maps it and builds the initial stack. */
  static create(options: MachineOptions): Machine {
    const parse: ParseOptions = options.pieBase === undefined ? {} : { pieBase: options.pieBase };
    return new Machine(options.cpu, options, parseElf(options.program, parse));
  }

  /** The first process (the program the machine was created with). */
  get process(): ThreadGroup {
    return this.kernel.init!;
  }

  /** The first process's main thread (its register file stays readable after the run). */
  get task(): Task {
    return this.mainTask;
  }

  get symbols(): SymbolTable {
    return this.image.symbols;
  }

  get criticalSections(): readonly CriticalSection[] {
    return this.image.criticalSections;
  }

  get auxv(): readonly AuxEntry[] {
    return this.loaded.auxv;
  }

  get retired(): number {
    return this.retiredTotal;
  }

  get traceHash(): string {
    return this.kernel.traceHash.hex();
  }

  memoryMap(): readonly Vma[] {
    return this.process.mm.map.areas();
  }

  /** Subscribes to the event stream (scheduling, system calls, signals, lifetimes), or to the listed kinds; returns the unsubscribe function. */
  onEvent(listener: (e: MachineEvent) => void, kinds?: readonly MachineEvent['kind'][]): () => void {
    return this.kernel.subscribe(listener, kinds);
  }

  threads(): ThreadInfo[] {
    return [...this.kernel.tasks.values()].sort((a, b) => a.tid - b.tid).map((t) => ({
      tid: t.tid,
      pid: t.group.tgid,
      name: t.name,
      state: t.state,
      cpu: t.cpu,
      rip: t.ctx.rip,
      waitingOn: t.state === 'blocked' ? t.wait?.what.detail : undefined,
    }));
  }

  vcpus(): VCpuInfo[] {
    return this.kernel.vcpus.map((v) => ({ id: v.id, node: v.node, current: v.current?.tid ?? 0, queued: v.queue.map((t) => t.tid), clockNs: v.clock }));
  }

  /** Reads guest memory of a process (default: the first one). */
  readMemory(addr: number, length: number, pid = TGID): Uint8Array {
    // The first process's memory stays readable after it exited (for checking results).
    const p = pid === this.process.tgid ? this.process : this.kernel.processes.get(pid);
    if (!p) throw new RangeError(`no process ${pid}`);
    return this.kernel.withAddressSpace(p.mm.id, () => this.cpu.read(addr, length));
  }

  /** Reads guest memory at a symbol of the program. */
  readSymbol(name: string, length?: number, pid = TGID): Uint8Array {
    const s = this.image.symbols.lookup(name);
    if (!s) throw new RangeError(`no symbol ${name} in the program`);
    return this.readMemory(s.address, length ?? Math.max(1, s.size), pid);
  }

  /**
   * Records the whole machine between two runs: guest memory (copy-on-write
   * in the CPU), each live thread's registers, the kernel's objects
   * (object-snapshot.ts), the instruction count. Cheap next to a program's
   * start-up: the fuzzer runs start-up once and forks every schedule from a
   * snapshot; the page steps backwards with them.
   */
  snapshot(): MachineSnapshot {
    const memory = this.cpu.snapshotMemory();
    const registers: [CpuContext, CpuContext][] = [];
    for (const t of this.kernel.tasks.values()) {
      const copy = this.cpu.createContext();
      this.cpu.copyContext(t.ctx, copy);
      registers.push([t.ctx, copy]);
    }
    const exempt = new Set<object>([this.cpu, this.image, this.loaded, this.options.program, ...this.kernel.snapshotExempt()]);
    for (const bytes of this.options.files?.values() ?? []) exempt.add(bytes);
    const graph = captureGraph([this.kernel, this.stdout, this.stderr], (o) => exempt.has(o) || isRegisterFile(o) || o instanceof WebAssembly.Memory);
    this.liveSnapshots++;
    const s: SnapshotState = { retired: this.retiredTotal, objects: graph.objects, memory, registers, graph, released: false };
    return s;
  }

  /** Puts the machine back as it was at the snapshot (which stays valid). */
  restore(snapshot: MachineSnapshot): void {
    const s = snapshot as SnapshotState;
    if (s.released) throw new Error('restore: this snapshot was released');
    restoreGraph(s.graph);
    this.cpu.restoreMemory(s.memory);
    for (const [live, copy] of s.registers) this.cpu.copyContext(copy, live);
    this.retiredTotal = s.retired;
    // rseqAreasVersion went back with the kernel: the same number may now name other areas.
    this.armedMm = -1;
  }

  /**
   * Makes the scheduler's choices from now on depend on `seed` (its own
   * stream, as if the machine had been created with it): after restoring a
   * snapshot, each seed gives another interleaving of the same state.
   */
  reseedScheduler(seed: number): void {
    this.kernel.scheduler.reseed(new SeededRandom(seed).fork('scheduler'));
  }

  /**
   * Schedules an injected event (injection.ts): preempt, migrate or signal a
   * thread exactly after K of its instructions or when it reaches an
   * address. Returns the injection's id; an 'inject' event reports when it
   * is applied.
   */
  inject(injection: Injection): number {
    const a = injection.action;
    if (a.kind === 'migrate' && (!Number.isInteger(a.cpu) || a.cpu < 0 || a.cpu >= this.kernel.vcpus.length)) {
      throw new RangeError(`inject: no vCPU ${a.cpu} (the machine has ${this.kernel.vcpus.length})`);
    }
    if (a.kind === 'signal' && (a.sig < 1 || a.sig > 64)) throw new RangeError(`inject: no signal ${a.sig}`);
    const id = this.kernel.nextInjectionId++;
    this.kernel.injections.push({ ...injection, id, hits: 0 });
    return id;
  }

  /**
   * Chaos mode (--chaos): random preemptions, migrations and signals from
   * the machine's own seeded stream; undefined turns it off.
   */
  setChaos(options: ChaosOptions | undefined): void {
    if (options && !(options.perThousand >= 0.001 && options.perThousand <= 1000)) throw new RangeError(`chaos: ${options.perThousand} events per 1000 instructions is out of range (0.001 to 1000)`);
    this.kernel.chaos = options;
    this.kernel.chaosRandom ??= new SeededRandom(this.options.seed).fork('chaos');
  }

  /** Gives the thread its next random event if it has none pending. */
  private chaosArm(task: Task): void {
    const k = this.kernel;
    const chaos = k.chaos!;
    if (k.injections.some((i) => i.chaos && i.at.kind === 'instructions' && i.at.tid === task.tid)) return;
    const r = k.chaosRandom!;
    const mean = 1000 / chaos.perThousand;
    const distance = 1 + Math.floor((r.nextU32() / 2 ** 32) * 2 * mean);
    const kinds = (chaos.events ?? ['preempt', 'migrate', 'signal']).filter((e) =>
      (e !== 'migrate' || k.vcpus.length > 1) && (e !== 'signal' || handledSignals(task).length > 0));
    const kind = kinds.length > 0 ? kinds[r.nextU32() % kinds.length] : 'preempt';
    let action: Injection['action'];
    if (kind === 'migrate') {
      const others = k.vcpus.filter((v) => v.id !== task.cpu && cpuAllowed(task.allowed, v.id));
      action = others.length > 0 ? { kind: 'migrate', cpu: others[r.nextU32() % others.length].id } : { kind: 'preempt' };
    } else if (kind === 'signal') {
      const sigs = handledSignals(task);
      action = { kind: 'signal', sig: sigs[r.nextU32() % sigs.length], scope: 'thread' };
    } else {
      action = { kind: 'preempt' };
    }
    const id = k.nextInjectionId++;
    k.injections.push({ id, hits: 0, chaos: true, action, at: { kind: 'instructions', tid: task.tid, count: Number(task.cpuNs) + distance } });
  }

  /** Injections not applied yet. */
  pendingInjections(): readonly PendingInjection[] {
    return this.kernel.injections;
  }

  /**
   * The addresses a run of this task stops at (at most 16): the starts of
   * the critical sections while it waits to step one, and the injection
   * addresses, each with the visits that may run through it first: those
   * before the soonest injection waiting there is due (the CPU counts them,
   * so the n-th visit costs one stop, not n).
   */
  private breakpointsFor(task: Task): { addresses: number[]; passes: number[] } | undefined {
    let addresses: number[] | undefined;
    let passes: number[] | undefined;
    if (task.sectionStep === 'waiting') {
      addresses = [];
      passes = [];
      for (const s of task.group.image?.criticalSections ?? []) {
        if (!addresses.includes(s.start)) {
          addresses.push(s.start);
          passes.push(0);
        }
      }
    }
    for (const inj of this.kernel.injections) {
      if (inj.at.kind !== 'address' || (inj.at.tid !== undefined && inj.at.tid !== task.tid)) continue;
      addresses ??= [];
      passes ??= [];
      const free = Math.max(0, (inj.at.hit ?? 1) - inj.hits - 1);
      const i = addresses.indexOf(inj.at.address);
      if (i < 0) {
        addresses.push(inj.at.address);
        passes.push(free);
      } else if (free < passes[i]) {
        passes[i] = free;
      }
    }
    if (addresses && passes && addresses.length > MAX_BREAKPOINTS) {
      this.kernel.warnOnce('breakpoints', `rseqlab: more than ${MAX_BREAKPOINTS} injection addresses wait for one thread; the first ${MAX_BREAKPOINTS} are armed, the others once those are done`);
      addresses.length = MAX_BREAKPOINTS;
      passes.length = MAX_BREAKPOINTS;
    }
    return addresses && passes && addresses.length > 0 ? { addresses, passes } : undefined;
  }

  /** The critical section (of the program's tables) whose [start, post_commit_ip) holds rip. */
  private sectionAt(task: Task, rip: number): CriticalSection | undefined {
    return sectionAt(task.group.image?.criticalSections ?? [], rip);
  }

  /**
   * After one instruction of a stepped section: done once the thread left
   * it (committed, aborted, or moved by an event); otherwise its vCPU waits
   * until every other busy vCPU has run past it (MachineOptions.stepSectionAfterInjection).
   */
  private sectionStepped(task: Task, v: Kernel['vcpus'][number]): void {
    if (!task.alive || !this.sectionAt(task, Number(task.ctx.rip))) {
      task.sectionStep = undefined;
      return;
    }
    let ahead = v.clock;
    for (const o of this.kernel.vcpus) if (o !== v && o.busy && o.clock > ahead) ahead = o.clock;
    v.clock = ahead === v.clock ? v.clock : ahead + 1n;
  }

  /** Visits the CPU ran through without stopping: every injection waiting at that address for this task counts them. */
  private countPasses(task: Task, addresses: readonly number[], passes: readonly number[]): void {
    for (let i = 0; i < addresses.length; i++) {
      if (passes[i] === 0) continue;
      for (const inj of this.kernel.injections) {
        if (inj.at.kind === 'address' && inj.at.address === addresses[i] && (inj.at.tid === undefined || inj.at.tid === task.tid)) inj.hits += passes[i];
      }
    }
  }

  /** Applies an instruction-count injection that is due before the task runs on; true if one was. */
  private injectDue(task: Task): boolean {
    const inj = this.kernel.injections.find((i) => i.at.kind === 'instructions' && i.at.tid === task.tid && Number(task.cpuNs) >= i.at.count);
    if (!inj) return false;
    this.applyInjection(task, inj);
    return true;
  }

  private breakpointReached(task: Task, rip: number): void {
    // Every injection waiting at this address counts the hit; the first that is due fires.
    const here = this.kernel.injections.filter((i) => i.at.kind === 'address' && i.at.address === rip && (i.at.tid === undefined || i.at.tid === task.tid));
    const stepping = task.sectionStep === 'waiting' && this.sectionAt(task, rip)?.start === rip;
    if (stepping) task.sectionStep = 'stepping';
    if (here.length === 0 && !stepping) throw new Error(`internal: the CPU stopped at a breakpoint (${hex(rip)}) nobody asked for`);
    let due: PendingInjection | undefined;
    for (const inj of here) {
      inj.hits++;
      if (!due && inj.at.kind === 'address' && inj.hits >= (inj.at.hit ?? 1)) due = inj;
    }
    // This visit is counted: if the thread resumes at this address, it steps over it once.
    task.passBreakpoint = rip;
    if (due) this.applyInjection(task, due);
  }

  /** The injected event, applied as Linux applies the real one. */
  private applyInjection(task: Task, inj: PendingInjection): void {
    const kernel = this.kernel;
    kernel.injections.splice(kernel.injections.indexOf(inj), 1);
    const now = kernel.timeOf(task);
    kernel.emit({ kind: 'inject', t: now, tid: task.tid, cpu: task.cpu, id: inj.id, what: describeInjection(inj), rip: task.ctx.rip });
    if (this.options.stepSectionAfterInjection && !inj.chaos) task.sectionStep = this.sectionAt(task, Number(task.ctx.rip)) ? 'stepping' : 'waiting';
    const a = inj.action;
    switch (a.kind) {
      case 'preempt':
        // A context switch away and back (to another runnable task, or idle): rseq_preempt.
        this.reschedule(task, now);
        task.returnWork = true;
        return;
      case 'migrate': {
        // Linux never moves a thread to a CPU outside its affinity: a chaos
        // migration drawn before the thread narrowed it picks an allowed
        // vCPU; an explicit one to a forbidden vCPU becomes a preemption.
        let cpu = a.cpu;
        if (!cpuAllowed(task.allowed, cpu)) {
          const others = kernel.vcpus.filter((v) => v.id !== task.cpu && cpuAllowed(task.allowed, v.id));
          if (inj.chaos && others.length > 0) cpu = others[kernel.chaosRandom!.nextU32() % others.length].id;
          else {
            if (!inj.chaos) kernel.warnOnce(`inject-affinity:${inj.id}`, `rseqlab: ${describeInjection(inj)}: vCPU ${cpu} is not in thread ${task.tid}'s affinity; preempted it instead`);
            this.reschedule(task, now);
            task.returnWork = true;
            return;
          }
        }
        kernel.scheduler.migrate(task, cpu, now, 'inject');
        task.returnWork = true;
        return;
      }
      case 'signal':
        if (a.ifHandled && !handledSignals(task).includes(a.sig)) {
          kernel.emit({ kind: 'rseq', t: now, tid: task.tid, what: 'inject-skipped', detail: `signal ${a.sig} is not handled at this point: injection ${inj.id} skipped` });
          return;
        }
        sendSignal(kernel, a.scope === 'thread' ? task : task.group, a.sig, { kind: 'kill', signo: a.sig, errno: 0, code: SI_KERNEL, pid: 0, uid: 0 }, a.scope);
        task.returnWork = true;
        return;
    }
  }

  /** Frees what only the snapshot holds. */
  releaseSnapshot(snapshot: MachineSnapshot): void {
    const s = snapshot as SnapshotState;
    if (s.released) return;
    s.released = true;
    this.cpu.releaseSnapshot(s.memory);
    for (const [, copy] of s.registers) this.cpu.releaseContext(copy);
    this.liveSnapshots--;
  }

  /** Runs until the program ends or maxInstructions more instructions have retired. */
  run(options: RunOptions): RunResult {
    const kernel = this.kernel;
    const limit = this.retiredTotal + Math.max(0, Math.floor(options.maxInstructions));
    let paused: MachineEvent | undefined;
    const until = options.until;
    const unsubscribe = until ? kernel.subscribe((e) => {
      if (!paused && until(e)) paused = e;
    }) : undefined;
    const yieldWhen = options.yieldWhen;
    try {
      return this.loop(limit, () => paused !== undefined || (yieldWhen?.() ?? false)) ?? this.pausedResult(paused);
    } finally {
      unsubscribe?.();
    }
  }

  private pausedResult(e: MachineEvent | undefined): RunResult {
    return { ...this.result(undefined), kind: 'paused', exitCode: null, threads: undefined, message: e ? `paused after a ${e.kind} event` : 'paused when asked to yield', event: e };
  }

  /** The machine's loop; returns undefined when `stop` says so between steps. */
  private loop(limit: number, pause: () => boolean): RunResult | undefined {
    const kernel = this.kernel;
    while (!kernel.termination) {
      if (pause()) return undefined;
      this.recycleContexts();
      // The vCPU furthest behind sets machine time; timers due by then fire first (they may wake tasks).
      let v = kernel.scheduler.nextVcpu();
      const next = kernel.timers.nextDeadline();
      if (v && next !== undefined && next <= v.clock) {
        kernel.timers.fireDue(v.clock);
        if (kernel.termination) break;
        v = kernel.scheduler.nextVcpu();
      }
      if (!v) {
        if (!this.idleUntilNextTimer()) break;
        continue;
      }
      if (!v.current) kernel.scheduler.pickNext(v, v.clock, 'wake');
      const task = v.current;
      if (!task) continue;
      this.useAddressSpace(task);
      if (task.wait) {
        completeSyscall(kernel, task);
        continue;
      }
      if (task.returnWork) {
        this.returnToUser(task);
        if (v.current !== task || task.state !== 'running') continue;
      }
      if (kernel.chaos) this.chaosArm(task);
      if (this.injectDue(task)) continue;
      const budget = limit - this.retiredTotal;
      if (budget <= 0) return this.result(undefined);
      let quantum = task.sectionStep === 'stepping' ? 1 : this.quantumFor(v, task, budget);
      let breakpoints = this.breakpointsFor(task);
      if (breakpoints !== undefined && task.passBreakpoint !== undefined && task.passBreakpoint === Number(task.ctx.rip)) {
        // The address was reached for a hit that does not fire yet: step over it once.
        quantum = 1;
        breakpoints = undefined;
      }
      task.passBreakpoint = undefined;
      this.armReadOnlyWatches(task);
      const stop = this.cpu.run(task.ctx, quantum, breakpoints?.addresses, breakpoints?.passes);
      if (breakpoints && stop.passes) this.countPasses(task, breakpoints.addresses, stop.passes);
      this.account(v, task, stop);
      this.handleStop(task, stop, quantum);
      if (task.sectionStep === 'stepping') this.sectionStepped(task, v);
      if (v.current === task) this.schedulerTick(task, v);
      kernel.scheduler.balance(v.clock);
    }
    if (!kernel.termination) return this.deadlockResult();
    return this.result(kernel.termination);
  }

  /**
   * The checker's write watches for the address space about to run (the
   * CPU stops right after a guest store into one): the read-only fields of
   * every registered rseq area, and every critical section the program's
   * tables list (descriptor, code, signature). Re-armed when areas come or
   * go or the space changes.
   */
  private armReadOnlyWatches(task: Task): void {
    const kernel = this.kernel;
    if (task.group.mm.id === this.armedMm && kernel.rseqAreasVersion === this.armedVersion) return;
    this.armedMm = task.group.mm.id;
    this.armedVersion = kernel.rseqAreasVersion;
    const ranges: { address: number; length: number }[] = [];
    for (const t of kernel.tasks.values()) {
      const reg = t.rseq.registration;
      if (!reg || !t.alive || t.group.mm !== task.group.mm) continue;
      for (const f of RSEQ_READ_ONLY_RANGES) {
        if (f.offset >= RseqField.nodeId && !kernel.profile.rseqExtended) continue;
        ranges.push({ address: reg.address + f.offset, length: f.length });
      }
    }
    for (const s of task.group.image?.criticalSections ?? []) {
      ranges.push({ address: s.descriptorAddress, length: 32 });
      if (s.postCommit > s.start && s.postCommit - s.start <= 4096) ranges.push({ address: s.start, length: s.postCommit - s.start });
      if (s.abort >= 4) ranges.push({ address: s.abort - 4, length: 4 });
    }
    this.cpu.setWriteWatches(ranges);
  }

  /**
   * A guest store into a watched range: a read-only field of an rseq area,
   * or a listed critical section (a finding only while some thread's
   * rseq_cs names it); the checker's finding, at the storing instruction.
   */
  private watchedWrite(task: Task, stop: StopInfo): void {
    const kernel = this.kernel;
    const at = stop.watchAddress ?? 0;
    const rip = stop.watchRip ?? task.ctx.rip;
    for (const t of kernel.tasks.values()) {
      const reg = t.rseq.registration;
      if (!reg || t.group.mm !== task.group.mm || at < reg.address || at >= reg.address + ORIG_RSEQ_SIZE) continue;
      const field = RSEQ_READ_ONLY_RANGES.find((f) => at >= reg.address + f.offset && at < reg.address + f.offset + f.length)?.field;
      if (!field) continue;
      const whose = t === task ? 'its own' : `thread ${t.tid}'s`;
      reportFinding(kernel, task, 'read-only-field-written', `user write to ${field} of ${whose} rseq area at ${hex(reg.address)}`, Number(rip), rip);
      return;
    }
    checkSectionWrite(kernel, task, at, rip);
  }

  /**
   * After a quantum: the time slice or a granted extension is over
   * (rseq_slice_expired), or a system call during a grant asked for a
   * reschedule.
   */
  private schedulerTick(task: Task, v: Kernel['vcpus'][number]): void {
    const kernel = this.kernel;
    if (task.rseq.slice.granted) {
      if (!sliceExpired(task.rseq, v.clock)) return;
      this.reschedule(task, v.clock); // revokes the grant, then preempts
      return;
    }
    if (kernel.scheduler.sliceExpired(v)) this.reschedule(task, v.clock);
  }

  /**
   * A system call: the checker's look at rseq first (a call from inside a
   * critical section), the end of a granted time slice extension
   * (rseq_syscall_enter_work), then the call; a call that ended a grant
   * reschedules when another task waits.
   */
  private syscall(task: Task): void {
    const kernel = this.kernel;
    if (task.rseq.registration && checkSyscallInSection(kernel, task, task.ctx.rip - 2n)) return;
    const nr = Number(task.ctx.gpr[Reg.RAX]);
    const slice = sliceSyscallEntry(task.rseq, kernel.mem, nr, (rule, detail, address) => reportFinding(kernel, task, rule, detail, address));
    if (!task.alive || (slice.violation && !this.rseqFatal(task, slice.violation))) return;
    if (slice.ended) {
      const what = slice.ended === 'rseq_slice_yield' ? 'slice-yield' : 'slice-revoke';
      kernel.emit({ kind: 'rseq', t: kernel.timeOf(task), tid: task.tid, what, detail: `time slice extension ended by ${slice.ended}` });
    }
    dispatchSyscall(kernel, task, this.syscalls);
    const v = kernel.vcpus[task.cpu];
    if (slice.resched && v.current === task && task.state === 'running' && v.queue.length > 0) kernel.scheduler.switchOut(task, 'preempt', v.clock);
  }

  /** The instructions the vCPU may run now: the scheduler's quantum, bounded by the budget, the next timer and the time slice. */
  private quantumFor(v: Kernel['vcpus'][number], task: Task, budget: number): number {
    const kernel = this.kernel;
    let q = Math.min(budget, kernel.scheduler.drawQuantum(kernel.scheduler.busyVcpus > 1));
    const next = kernel.timers.nextDeadline();
    if (next !== undefined) q = Math.min(q, Math.max(1, Number(next - v.clock)));
    if (v.queue.length > 0) q = Math.min(q, Math.max(1, Number(TIME_SLICE_NS - task.sliceNs)));
    for (const inj of this.kernel.injections) {
      if (inj.at.kind === 'instructions' && inj.at.tid === task.tid) q = Math.min(q, Math.max(1, inj.at.count - Number(task.cpuNs)));
    }
    if (task.rseq.slice.granted) q = Math.min(q, Math.max(1, Number(task.rseq.slice.expires - v.clock)));
    const cpuTimer = this.nextCpuTimer(task);
    if (cpuTimer !== undefined) q = Math.min(q, Math.max(1, Number(cpuTimer)));
    return q;
  }

  /** Instructions until the process's ITIMER_VIRTUAL or ITIMER_PROF expires. */
  private nextCpuTimer(task: Task): bigint | undefined {
    const g = task.group;
    if (g.itimers[1].value === 0n && g.itimers[2].value === 0n) return undefined;
    let best: bigint | undefined;
    const used = g.cpuNs();
    for (const which of [1, 2]) {
      const it = g.itimers[which];
      if (it.value === 0n) continue;
      const left = it.value - used;
      if (best === undefined || left < best) best = left;
    }
    return best;
  }

  private account(v: Kernel['vcpus'][number], task: Task, stop: StopInfo): void {
    const n = stop.retired;
    this.retiredTotal += n;
    const ns = BigInt(n);
    v.clock += ns;
    v.userNs += ns;
    task.cpuNs += ns;
    task.sliceNs += ns;
    const k = this.kernel;
    k.traceHash.word(v.id);
    k.traceHash.word(task.tid);
    k.traceHash.word(n);
    if (k.wants('run')) k.notify({ kind: 'run', t: v.clock - ns, cpu: v.id, tid: task.tid, retired: n, stop: StopReason[stop.reason] ?? String(stop.reason) });
    this.checkCpuTimers(task);
  }

  /** ITIMER_VIRTUAL (SIGVTALRM) and ITIMER_PROF (SIGPROF) count the process's CPU time. */
  private checkCpuTimers(task: Task): void {
    const g = task.group;
    if (g.itimers[1].value === 0n && g.itimers[2].value === 0n) return;
    const used = g.cpuNs();
    for (const [which, sig] of [[1, SIGVTALRM], [2, SIGPROF]] as const) {
      const it = g.itimers[which];
      if (it.value === 0n || used < it.value) continue;
      it.value = it.interval > 0n ? it.value + it.interval : 0n;
      sendSignal(this.kernel, g, sig, { kind: 'kill', signo: sig, errno: 0, code: SI_KERNEL, pid: 0, uid: 0 }, 'process');
    }
  }

  /** Nothing can run: jump to the next timer, or the machine is deadlocked. */
  private idleUntilNextTimer(): boolean {
    const next = this.kernel.timers.nextDeadline();
    if (next === undefined) return false;
    for (const v of this.kernel.vcpus) if (v.clock < next) v.clock = next;
    this.kernel.timers.fireDue(next);
    return true;
  }

  /** Makes the task's address space the CPU's current one (execve and fork switch it behind the machine's back). */
  private useAddressSpace(task: Task): void {
    const id = task.group.mm.id;
    if (this.cpu.currentAddressSpace() !== id) this.cpu.useAddressSpace(id);
  }

  private recycleContexts(): void {
    // A snapshot may bring dead threads and processes back: keep their register files and memory until it is released.
    if (this.liveSnapshots > 0) return;
    const spaces = this.kernel.deadAddressSpaces;
    for (let i = spaces.length - 1; i >= 0; i--) {
      const mm = spaces[i];
      if (mm.id === this.cpu.currentAddressSpace() || mm === this.process.mm) continue;
      mm.destroy();
      spaces.splice(i, 1);
    }
    const dead = this.kernel.deadContexts;
    if (dead.length === 0) return;
    for (const ctx of dead.splice(0)) {
      // The main thread's register file stays for inspection after the run.
      if (ctx !== this.mainTask.ctx) this.cpu.releaseContext(ctx);
    }
  }

  /**
   * exit_to_user_mode_loop: deliver pending signals (the handler's frame is
   * built after the rseq fixup), then rseq notify-resume writes the IDs.
   */
  private returnToUser(task: Task): void {
    const kernel = this.kernel;
    task.returnWork = false;
    if (hasDeliverable(task)) {
      doSignal(kernel, task, { rseqBeforeFrame: (t, fromSyscall) => this.rseqSignalDeliver(t, fromSyscall) });
      if (!task.alive || task.state !== 'running') return;
    }
    const fromSyscall = task.fromSyscall;
    task.fromSyscall = false;
    task.syscallNr = -1;
    this.rseqNotifyResume(task, fromSyscall);
  }

  /** rseq_signal_deliver: the signal event, then notify-resume with the fixup, before the frame exists. */
  private rseqSignalDeliver(task: Task, fromSyscall: boolean): boolean {
    return this.rseqFatal(task, rseqSignalDeliver(task.rseq, this.rseqExit(task, fromSyscall)));
  }

  private rseqNotifyResume(task: Task, fromSyscall: boolean): boolean {
    return this.rseqFatal(task, rseqNotifyResume(task.rseq, this.rseqExit(task, fromSyscall)));
  }

  /** What the rseq return-to-user steps need of this machine for `task`. */
  private rseqExit(task: Task, fromSyscall: boolean): RseqExit {
    const kernel = this.kernel;
    return {
      mem: kernel.mem,
      profile: kernel.profile,
      ctx: task.ctx,
      ids: { cpu: task.cpu, node: kernel.vcpus[task.cpu].node, mmCid: Math.max(0, task.mmCid) },
      fromSyscall,
      debug: kernel.debugRseq,
      observe: (what, detail) => kernel.emit({ kind: 'rseq', t: kernel.timeOf(task), tid: task.tid, what, detail: `${detail} on vCPU ${task.cpu}` }),
      finding: (rule, detail, address) => reportFinding(kernel, task, rule, detail, address),
    };
  }

  /** A violation Linux answers with SIGSEGV ends the process; true when there was none. */
  private rseqFatal(task: Task, violation: RseqViolation | undefined): boolean {
    const kernel = this.kernel;
    if (!violation) return task.alive;
    kernel.emit({ kind: 'rseq', t: kernel.timeOf(task), tid: task.tid, what: 'violation', detail: violation.reason });
    exitGroup(kernel, task.group, { signal: SIGSEGV, core: dumpsCore(task.group, SIGSEGV), reason: `rseq: ${violation.reason}` });
    return false;
  }

  /**
   * The scheduler wants `task` (interrupted in user space) off its vCPU: a
   * task asking for a time slice extension may be granted one instead
   * (rseq-slice.ts); otherwise it is preempted.
   */
  private reschedule(task: Task, now: bigint): void {
    const kernel = this.kernel;
    const d = sliceOnReschedule(task.rseq, kernel.mem, kernel.profile, now);
    const event = (what: string, detail: string) => kernel.emit({ kind: 'rseq', t: now, tid: task.tid, what, detail });
    switch (d.kind) {
      case 'granted':
        event('slice-grant', `time slice extension granted until ${d.until} ns`);
        return;
      case 'segv':
        this.rseqFatal(task, d.violation);
        return;
      case 'revoked':
        event('slice-revoke', `time slice extension revoked: ${d.why}`);
        break;
      case 'preempt':
        break;
    }
    if (task.state === 'running') kernel.scheduler.switchOut(task, 'preempt', now);
    else task.rseq.event(RSEQ_EVENT_PREEMPT);
  }

  private handleStop(task: Task, stop: StopInfo, quantum: number): void {
    switch (stop.reason) {
      case StopReason.Budget:
        if (stop.retired === 0) throw new Error(`internal: the CPU stopped for budget without retiring an instruction (quantum ${quantum})`);
        return;
      case StopReason.Syscall:
        this.syscall(task);
        return;
      case StopReason.WriteWatch:
        this.watchedWrite(task, stop);
        return;
      case StopReason.PageFault: {
        const address = stop.faultAddress ?? Number(stop.rip);
        const mapped = this.cpu.pageProt(address) >= 0;
        // do_user_addr_fault: SEGV_ACCERR for a present page the access may not touch, else SEGV_MAPERR.
        this.fault(task, stop, { signo: SIGSEGV, code: mapped ? SEGV_ACCERR : SEGV_MAPERR, addr: BigInt(address) }, address, mapped ? 'protection' : 'unmapped');
        return;
      }
      case StopReason.InvalidOpcode:
        this.fault(task, stop, { signo: SIGILL, code: ILL_ILLOPN, addr: stop.rip }, Number(stop.rip), 'invalid-opcode');
        return;
      case StopReason.Ud:
        this.fault(task, stop, { signo: SIGILL, code: ILL_ILLOPN, addr: stop.rip }, Number(stop.rip), 'ud');
        return;
      case StopReason.DivideError:
        this.fault(task, stop, { signo: SIGFPE, code: FPE_INTDIV, addr: stop.rip }, Number(stop.rip), 'divide-error');
        return;
      case StopReason.SimdException: {
        // exc_simd_coprocessor_error -> math_error: SIGFPE, the code from the unmasked MXCSR flags.
        const code = simdFpeCode(task.ctx.mxcsr);
        if (code === 0) return; // a spurious #XM: nothing to report (math_error returns)
        this.fault(task, stop, { signo: SIGFPE, code, addr: stop.rip }, Number(stop.rip), 'simd-exception');
        return;
      }
      case StopReason.X87Exception: {
        // exc_coprocessor_error -> math_error: SIGFPE, the code from the unmasked status-word flags.
        const fx = task.ctx.fxsaveImage();
        const code = x87FpeCode(fx[0] | (fx[1] << 8), fx[2] | (fx[3] << 8));
        if (code === 0) return;
        this.fault(task, stop, { signo: SIGFPE, code, addr: stop.rip }, Number(stop.rip), 'x87-exception');
        return;
      }
      case StopReason.GeneralProtection:
        // A #GP in user mode is SIGSEGV with SI_KERNEL and no address (exc_general_protection).
        this.fault(task, stop, { signo: SIGSEGV, code: SI_KERNEL, addr: 0n }, 0, 'general-protection');
        return;
      case StopReason.StackFault:
        // do_stack_segment (arch/x86/kernel/traps.c): SIGBUS, no address.
        this.fault(task, stop, { signo: SIGBUS, code: SI_KERNEL, addr: 0n }, 0, 'stack-segment');
        return;
      case StopReason.Hlt:
        this.fault(task, stop, { signo: SIGSEGV, code: SI_KERNEL, addr: 0n }, 0, 'hlt');
        return;
      case StopReason.Int3:
        this.fault(task, stop, { signo: SIGTRAP, code: SI_KERNEL, addr: 0n }, Number(stop.rip) - 1, 'breakpoint');
        return;
      case StopReason.Breakpoint:
        this.breakpointReached(task, Number(stop.rip));
        return;
      default:
        if ((stop.reason as number) === 11) {
          // StopReason.OutOfMemory: the machine's memory is exhausted; the OOM killer picks the process that asked.
          this.oomKill(task, stop.faultAddress ?? 0, stop.memoryExhausted ?? 'frame-limit');
          return;
        }
        throw new Error(`internal: unknown stop reason ${String(stop.reason)}`);
    }
  }

  /** out_of_memory: the process that needed the page is killed with SIGKILL, and the run says why. */
  private oomKill(task: Task, address: number, exhausted: MemoryExhaustion): void {
    const reason = oomKillReason({ pid: task.group.tgid, address, exhausted, inUseBytes: this.cpu.framesInUse() * 4096 });
    this.kernel.warn(`rseqlab: ${reason}`);
    exitGroup(this.kernel, task.group, { signal: SIGKILL, reason });
  }

  private fault(task: Task, stop: StopInfo, sig: { signo: number; code: number; addr: bigint }, address: number, cause: FaultReport['cause']): void {
    const rip = Number(stop.rip);
    const report: FaultReport = {
      signal: sig.signo,
      address,
      rip,
      bytes: stop.bytes ?? this.instructionBytes(cause === 'breakpoint' ? rip - 1 : rip),
      access: stop.faultAccess,
      cause,
    };
    const info: SigInfo = { kind: 'fault', signo: sig.signo, errno: 0, code: sig.code, addr: sig.addr };
    forceFault(this.kernel, task, info, report);
  }

  /** Up to 15 bytes at addr, stopping at the first unreadable page. */
  private instructionBytes(addr: number): Uint8Array {
    const out: number[] = [];
    for (let i = 0; i < 15; i++) {
      if (this.cpu.pageProt(addr + i) < 0) break;
      out.push(this.cpu.read(addr + i, 1)[0]);
    }
    return new Uint8Array(out);
  }

  /**
   * One line per live thread: vCPU, state, what it waits on (with the
   * symbol of a futex word); past `limit` threads, one line says how many
   * more there are.
   */
  threadReport(limit = 32): string[] {
    const all = [...this.kernel.tasks.values()].sort((a, b) => a.tid - b.tid);
    const lines = all.slice(0, limit).map((t) => {
      let line = this.kernel.describeWait(t);
      const addr = t.wait?.what.address;
      if (addr !== undefined) {
        const sym = this.image.symbols.describe(addr);
        if (sym) line += ` <${sym}>`;
      }
      return line;
    });
    if (all.length > limit) lines.push(`... and ${all.length - limit} more threads`);
    return lines;
  }

  private deadlockResult(): RunResult {
    const threads = this.threadReport();
    const n = this.kernel.tasks.size;
    const message = `deadlock: every thread is blocked and no timer is pending (${n} thread${n === 1 ? '' : 's'})`;
    this.kernel.deadlock(message);
    return { ...this.result(this.kernel.termination), threads };
  }

  private result(t: Termination | undefined): RunResult {
    const base = {
      stdout: this.stdout.captured(),
      stderr: this.stderr.captured(),
      retired: this.retiredTotal,
      timeNs: this.kernel.globalTime(),
      traceHash: this.traceHash,
      syscallsNotImplemented: [...this.kernel.notImplemented],
      findings: [...this.kernel.findings],
    };
    if (!t) {
      return { ...base, kind: 'budget-exhausted', exitCode: null, threads: this.threadReport(), message: `stopped after ${this.retiredTotal} instructions (the instruction budget) without exiting` };
    }
    switch (t.kind) {
      case 'exited':
        return { ...base, kind: 'exited', exitCode: t.code };
      case 'killed': {
        const fault = t.fault ? { ...t.fault, symbol: this.image.symbols.describe(t.fault.rip) } : undefined;
        return { ...base, kind: 'killed', exitCode: 128 + t.signal, signal: { number: t.signal, name: signalName(t.signal) }, fault, message: t.reason };
      }
      case 'deadlock':
        return { ...base, kind: 'deadlock', exitCode: null, message: t.message, threads: this.threadReport() };
      case 'unsupported':
        return { ...base, kind: 'unsupported', exitCode: null, message: t.message };
    }
  }
}
