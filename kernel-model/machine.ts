// One machine: a CPU, the kernel model and one program. The CLI, the
// tests, the fuzzer and the playground all drive this object.
//
//   const m = Machine.create({ cpu, program, path, argv, envp, seed });
//   const result = m.run({ maxInstructions: 1e9 });
//
// run() hands the task's register file to the CPU for the remaining budget
// and acts on each stop: a system call is dispatched, a fault becomes the
// signal Linux would send (arch/x86/kernel/traps.c, arch/x86/mm/fault.c),
// and every return to user space goes through the kernel's return path
// (signals, then rseq notify-resume). The registers live in the CpuContext
// only.

import { StopReason, type Cpu, type StopInfo } from '../emulator/api.js';
import { VirtualClock } from './clock.js';
import { parseElf, type CriticalSection, type ElfImage, type ParseOptions, type SymbolTable } from './elf.js';
import { InputPipe, OutputPipe } from './files.js';
import type { AuxEntry } from './initial-stack.js';
import { Kernel, type FaultReport, type Termination } from './kernel.js';
import { kernelProfile, type KernelProfileName } from './kernel-profile.js';
import { hex } from './layout.js';
import { loadElf, setInitialRegisters, type LoadedProgram } from './loader.js';
import type { Vma } from './memory-map.js';
import { SeededRandom } from './prng.js';
import { rseqSyscallCheck } from './rseq.js';
import { SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP, signalName } from './signals.js';
import { buildSyscallTable, dispatchSyscall, type SyscallEntry } from './syscalls/index.js';
import { Task } from './task.js';
import { ThreadGroup } from './thread-group.js';
import { Vfs } from './vfs.js';

/**
 * AT_HWCAP is CPUID.1:EDX (arch/x86/include/asm/elf.h ELF_HWCAP): exactly
 * what emulator/assembly/cpuid.ts reports: fpu tsc cx8 cmov fxsr sse sse2.
 */
export const DEFAULT_HWCAP = 0x07008111;
export const DEFAULT_UID = 1000;
const TGID = 1000;
const PPID = 1;

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
  /** Seeds every random choice (AT_RANDOM, getrandom). */
  seed: number;
  kernelProfile?: KernelProfileName;
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

export type RunKind = 'exited' | 'killed' | 'budget-exhausted' | 'deadlock' | 'unsupported';

export interface RunResult {
  kind: RunKind;
  /** exited: the status; killed: 128 + signal, as a shell reports it; otherwise null. */
  exitCode: number | null;
  signal?: { number: number; name: string };
  /** The faulting instruction when the CPU raised the signal. */
  fault?: FaultReport & { symbol?: string };
  /** Why, in words: rseq violations, deadlocks, unmodelled features, the budget. */
  message?: string;
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** Instructions retired since the machine was created. */
  retired: number;
  syscallsNotImplemented: string[];
}

export interface RunOptions {
  maxInstructions: number;
}

export class Machine {
  readonly kernel: Kernel;
  readonly task: Task;
  readonly image: ElfImage;
  readonly loaded: LoadedProgram;
  private readonly stdout: OutputPipe;
  private readonly stderr: OutputPipe;
  private readonly syscalls: ReadonlyMap<number, SyscallEntry>;
  private retiredTotal = 0;

  private constructor(
    readonly cpu: Cpu,
    options: MachineOptions,
    image: ElfImage,
  ) {
    const warn = options.onWarning ?? (() => {});
    const profile = kernelProfile(options.kernelProfile ?? 'current');
    const random = new SeededRandom(options.seed);
    const uid = options.uid ?? DEFAULT_UID;
    const gid = options.gid ?? DEFAULT_UID;
    const cwd = options.cwd ?? '/';
    const exePath = options.exePath ?? options.path;
    const files = new Map(options.files ?? []);
    const vfs = new Vfs({ files, exePath, cwd, uid, gid });
    const group = new ThreadGroup(cpu, TGID, PPID, { uid, euid: uid, gid, egid: gid }, vfs, exePath);
    this.kernel = new Kernel({ cpu, profile, clock: new VirtualClock(), random: random.fork('getrandom'), group, warn });
    this.image = image;
    for (const w of image.warnings) warn(`rseqlab: ${options.path}: ${w}`);

    this.stdout = new OutputPipe(options.onStdout, 3, uid, gid);
    this.stderr = new OutputPipe(options.onStderr, 4, uid, gid);
    group.fds.install(0, new InputPipe(options.stdin ?? new Uint8Array(0), 2, uid, gid));
    group.fds.install(1, this.stdout);
    group.fds.install(2, this.stderr);

    this.loaded = loadElf(image, group.mm, cpu, {
      argv: options.argv ?? [options.path],
      envp: options.envp ?? [],
      execFn: options.path,
      randomBytes: random.fork('at_random').bytes(16),
      profile,
      hwcap: options.hwcap ?? DEFAULT_HWCAP,
      uid,
      euid: uid,
      gid,
      egid: gid,
    }, options.path);
    this.task = new Task(TGID, cpu.createContext(), group);
    group.tasks.push(this.task);
    setInitialRegisters(this.task.ctx, this.loaded);
    this.syscalls = buildSyscallTable();
  }

  /** Parses the program (ElfError on bad input), maps it and builds the initial stack. */
  static create(options: MachineOptions): Machine {
    const parse: ParseOptions = options.pieBase === undefined ? {} : { pieBase: options.pieBase };
    return new Machine(options.cpu, options, parseElf(options.program, parse));
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

  memoryMap(): readonly Vma[] {
    return this.kernel.group.mm.map.areas();
  }

  /** Runs until the program ends or maxInstructions more instructions have retired. */
  run(options: RunOptions): RunResult {
    const limit = this.retiredTotal + Math.max(0, Math.floor(options.maxInstructions));
    while (!this.kernel.termination) {
      const budget = limit - this.retiredTotal;
      if (budget <= 0) return this.result(undefined);
      const stop = this.cpu.run(this.task.ctx, budget);
      this.retiredTotal += stop.retired;
      this.kernel.clock.retire(stop.retired);
      this.handleStop(stop, budget);
    }
    return this.result(this.kernel.termination);
  }

  private handleStop(stop: StopInfo, budget: number): void {
    const task = this.task;
    switch (stop.reason) {
      case StopReason.Budget:
        if (stop.retired === 0) throw new Error(`internal: the CPU stopped for budget without retiring an instruction (budget ${budget})`);
        return;
      case StopReason.Syscall: {
        const violation = rseqSyscallCheck(task.rseq, this.kernel.mem, task.ctx.rip - 2n);
        if (violation) this.kernel.warnOnce(`rseq-syscall:${task.ctx.rip}`, `rseqlab: rseq ABI violation: ${violation.reason}`);
        dispatchSyscall(this.kernel, task, this.syscalls);
        this.kernel.returnToUser(task, true);
        return;
      }
      case StopReason.PageFault: {
        const address = stop.faultAddress ?? Number(stop.rip);
        const mapped = this.cpu.pageProt(address) >= 0;
        this.fault(SIGSEGV, stop, address, mapped ? 'protection' : 'unmapped');
        return;
      }
      case StopReason.InvalidOpcode:
        this.fault(SIGILL, stop, Number(stop.rip), 'invalid-opcode');
        return;
      case StopReason.Ud:
        this.fault(SIGILL, stop, Number(stop.rip), 'ud');
        return;
      case StopReason.DivideError:
        this.fault(SIGFPE, stop, Number(stop.rip), 'divide-error');
        return;
      case StopReason.GeneralProtection:
        this.fault(SIGSEGV, stop, 0, 'general-protection');
        return;
      case StopReason.StackFault:
        // do_stack_segment (arch/x86/kernel/traps.c): SIGBUS, no address.
        this.fault(SIGBUS, stop, 0, 'stack-segment');
        return;
      case StopReason.Hlt:
        this.fault(SIGSEGV, stop, 0, 'hlt');
        return;
      case StopReason.Int3:
        this.fault(SIGTRAP, stop, Number(stop.rip) - 1, 'breakpoint');
        return;
      case StopReason.Breakpoint:
        throw new Error(`internal: the CPU stopped at a breakpoint (${hex(stop.rip)}) nobody asked for`);
      default:
        throw new Error(`internal: unknown stop reason ${String(stop.reason)}`);
    }
  }

  private fault(signal: number, stop: StopInfo, address: number, cause: FaultReport['cause']): void {
    const rip = Number(stop.rip);
    const report: FaultReport = {
      signal,
      address,
      rip,
      bytes: stop.bytes ?? this.instructionBytes(cause === 'breakpoint' ? rip - 1 : rip),
      access: stop.faultAccess,
      cause,
    };
    this.kernel.forceFaultSignal(this.task, report);
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

  private result(t: Termination | undefined): RunResult {
    const base = {
      stdout: this.stdout.captured(),
      stderr: this.stderr.captured(),
      retired: this.retiredTotal,
      syscallsNotImplemented: [...this.kernel.notImplemented],
    };
    if (!t) {
      return { ...base, kind: 'budget-exhausted', exitCode: null, message: `stopped after ${this.retiredTotal} instructions (the instruction budget) without exiting` };
    }
    switch (t.kind) {
      case 'exited':
        return { ...base, kind: 'exited', exitCode: t.code };
      case 'killed': {
        const fault = t.fault ? { ...t.fault, symbol: this.image.symbols.describe(t.fault.rip) } : undefined;
        return { ...base, kind: 'killed', exitCode: 128 + t.signal, signal: { number: t.signal, name: signalName(t.signal) }, fault, message: t.reason };
      }
      case 'deadlock':
        return { ...base, kind: 'deadlock', exitCode: null, message: t.message };
      case 'unsupported':
        return { ...base, kind: 'unsupported', exitCode: null, message: t.message };
    }
  }
}
