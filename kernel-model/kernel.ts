// The kernel: the objects one machine shares (CPU, profile, clock, random
// source, the process) and the decisions that end a run (exit, death by
// signal, something rseqlab does not model yet). System calls live in
// syscalls/ and call into these objects.

import type { AccessKind, Cpu } from '../emulator/api.js';
import type { VirtualClock } from './clock.js';
import type { KernelProfile } from './kernel-profile.js';
import type { SeededRandom } from './prng.js';
import { rseqNotifyResume } from './rseq.js';
import { NSIG, SIGKILL, SIGSEGV, SIGSTOP, UNBLOCKABLE, defaultAction, sigmaskBit, signalName } from './signals.js';
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';
import { UserMemory } from './user-memory.js';

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
  cause?: 'unmapped' | 'protection' | 'invalid-opcode' | 'ud' | 'divide-error' | 'general-protection' | 'stack-segment' | 'hlt' | 'breakpoint';
}

export type Termination =
  | { kind: 'exited'; code: number }
  | { kind: 'killed'; signal: number; fault?: FaultReport; reason?: string }
  | { kind: 'unsupported'; message: string }
  | { kind: 'deadlock'; message: string };

export interface KernelOptions {
  cpu: Cpu;
  profile: KernelProfile;
  clock: VirtualClock;
  /** The stream getrandom reads. */
  random: SeededRandom;
  group: ThreadGroup;
  warn: (message: string) => void;
}

export class Kernel {
  readonly cpu: Cpu;
  readonly profile: KernelProfile;
  readonly clock: VirtualClock;
  readonly random: SeededRandom;
  readonly group: ThreadGroup;
  readonly mem: UserMemory;
  /** Set once the run is over. */
  termination?: Termination;
  private readonly warned = new Set<string>();
  private readonly warnSink: (message: string) => void;
  /** Syscall names reported as not implemented, in first-seen order. */
  readonly notImplemented: string[] = [];

  constructor(options: KernelOptions) {
    this.cpu = options.cpu;
    this.profile = options.profile;
    this.clock = options.clock;
    this.random = options.random;
    this.group = options.group;
    this.warnSink = options.warn;
    this.mem = new UserMemory(options.cpu);
  }

  /** Reports `message` the first time `key` is seen. */
  warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warnSink(message);
  }

  reportNotImplemented(nr: number, name: string | undefined): void {
    const label = name ?? `#${nr}`;
    if (!this.notImplemented.includes(label)) this.notImplemented.push(label);
    this.warnOnce(`enosys:${nr}`, name
      ? `rseqlab: syscall '${name}' (${nr}) not implemented; returned ENOSYS`
      : `rseqlab: syscall ${nr} does not exist on x86-64; returned ENOSYS`);
  }

  /** exit_group (and exit of the last thread): the process is gone. */
  exitGroup(code: number): void {
    this.termination ??= { kind: 'exited', code: code & 0xff };
  }

  /** The process dies from `signal` (default action terminate or core dump). */
  killBySignal(signal: number, fault?: FaultReport, reason?: string): void {
    this.termination ??= { kind: 'killed', signal, fault, reason };
  }

  /** Stops the run at something rseqlab does not model yet, saying what. */
  unsupported(message: string): void {
    this.termination ??= { kind: 'unsupported', message };
  }

  deadlock(message: string): void {
    this.termination ??= { kind: 'deadlock', message };
  }

  /** Marks a signal pending on a task (kernel/signal.c send_signal, minus queuing of siginfo). */
  sendSignal(task: Task, sig: number): void {
    if (sig < 1 || sig > NSIG) throw new Error(`internal: signal ${sig} out of range`);
    const disposition = this.group.actions.disposition(sig);
    // Ignored signals are discarded at generation time (sig_ignored), unless blocked.
    if ((disposition === 'ignore') && !(task.blocked & sigmaskBit(sig))) return;
    task.pending |= sigmaskBit(sig);
  }

  /**
   * A fault the CPU raised (force_sig_fault): a blocked or ignored signal
   * is unblocked and reset to the default action first, so it kills.
   */
  forceFaultSignal(task: Task, fault: FaultReport): void {
    const sig = fault.signal;
    if (this.group.actions.disposition(sig) === 'handler' && !(task.blocked & sigmaskBit(sig))) {
      this.unsupported(`the program installed a handler for ${signalName(sig)}, and signal delivery is not implemented yet (fault at rip 0x${fault.rip.toString(16)})`);
      return;
    }
    this.killBySignal(sig, fault);
  }

  /**
   * The return-to-user-space work (exit_to_user_mode_loop): deliver
   * pending unblocked signals (do_signal), then the rseq notify-resume
   * step. Signal frames would be built after the rseq fixup.
   */
  returnToUser(task: Task, fromSyscall: boolean): void {
    if (this.termination) return;
    this.deliverSignals(task);
    if (this.termination) return;
    const violation = rseqNotifyResume(task.rseq, this.mem, this.profile, task.ctx, { cpu: task.cpu, node: 0, mmCid: 0 }, fromSyscall);
    if (violation) {
      this.killBySignal(SIGSEGV, undefined, `rseq: ${violation.reason}`);
    }
  }

  private deliverSignals(task: Task): void {
    const deliverable = task.pending & ~(task.blocked & ~UNBLOCKABLE);
    if (deliverable === 0n) return;
    for (let sig = 1; sig <= NSIG; sig++) {
      const bit = sigmaskBit(sig);
      if (!(deliverable & bit)) continue;
      task.pending &= ~bit;
      const disposition = sig === SIGKILL || sig === SIGSTOP ? defaultAction(sig) : this.group.actions.disposition(sig);
      switch (disposition) {
        case 'ignore':
        case 'continue':
          continue;
        case 'stop':
          this.unsupported(`${signalName(sig)} would stop the process; job control is not modelled`);
          return;
        case 'handler':
          this.unsupported(`${signalName(sig)} arrived and the program has a handler for it; signal delivery to handlers is not implemented yet`);
          return;
        case 'terminate':
        case 'core':
          this.killBySignal(sig);
          return;
      }
    }
  }
}
