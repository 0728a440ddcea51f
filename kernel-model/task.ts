// A thread (Linux's struct task_struct, the per-thread part). It owns its
// register file (rip and every register live in the CpuContext only), its
// scheduling state, its signal mask and pending signals, and its rseq
// registration. What threads share lives in the ThreadGroup.

import type { CpuContext } from '../emulator/api.js';
import type { FaultReport } from './kernel.js';
import { TaskRseq } from './rseq.js';
import type { SigInfo } from './siginfo.js';
import type { TrapInfo } from './signal-frame.js';
import type { ThreadGroup } from './thread-group.js';
import type { Timer } from './timers.js';
import type { Block, SyscallResult, WakeReason } from './wait.js';

export const SS_ONSTACK = 1;
export const SS_DISABLE = 2;
export const SS_AUTODISARM = 1 << 31;

/** sigaltstack state (stack_t). */
export interface AltStack {
  sp: bigint;
  flags: number;
  size: bigint;
}

export interface RobustList {
  head: bigint;
  length: bigint;
}

/**
 * running: the current task of its vCPU; runnable: in a run queue;
 * blocked: asleep in a system call (see `wait`); stopped: SIGSTOP and
 * friends; dead: exited (its register file is gone).
 */
export type TaskState = 'running' | 'runnable' | 'blocked' | 'stopped' | 'dead';

/** A signal waiting to be delivered (struct sigqueue). */
export interface QueuedSignal {
  sig: number;
  info: SigInfo;
}

/** Pending signals of a thread or a process (struct sigpending). */
export class SigPending {
  mask = 0n;
  queue: QueuedSignal[] = [];

  has(sig: number): boolean {
    return (this.mask & (1n << BigInt(sig - 1))) !== 0n;
  }

  /** Removes and returns the first queued instance of sig; clears the bit when none is left. */
  take(sig: number): QueuedSignal | undefined {
    const i = this.queue.findIndex((q) => q.sig === sig);
    const q = i >= 0 ? this.queue.splice(i, 1)[0] : undefined;
    if (!this.queue.some((x) => x.sig === sig)) this.mask &= ~(1n << BigInt(sig - 1));
    return q;
  }

  /** Drops every instance of the signals in `mask` (when they become ignored, or SIGCONT/SIGSTOP flush each other). */
  flush(mask: bigint): void {
    this.mask &= ~mask;
    this.queue = this.queue.filter((q) => (mask & (1n << BigInt(q.sig - 1))) === 0n);
  }
}

export class Task {
  rseq = new TaskRseq();
  /** set_tid_address / CLONE_CHILD_CLEARTID: zeroed and futex-woken at exit. */
  clearChildTid = 0n;
  robustList: RobustList = { head: 0n, length: 0n };
  /** Blocked signals (bit sig-1). */
  blocked = 0n;
  /** The mask before rt_sigtimedwait unblocked the signals it waits for (real_blocked): such a signal is taken, never fatal. */
  realBlocked = 0n;
  /** The mask to restore after a handler that sigsuspend / ppoll / pselect ran (TIF_RESTORE_SIGMASK). */
  savedMask: bigint | undefined;
  /** Signals sent to this thread and not yet delivered. */
  readonly pending = new SigPending();
  altStack: AltStack = { sp: 0n, flags: SS_DISABLE, size: 0n };

  state: TaskState = 'runnable';
  /** The vCPU this task runs on, or ran on last (task_cpu). */
  cpu = 0;
  /** CPUs the task may run on (bit i = vCPU i). */
  allowed: bigint;
  /** The concurrency ID while running (mm_cid), -1 when not running. */
  mmCid = -1;
  /** Instructions retired by this thread: its CPU time in ns. */
  cpuNs = 0n;
  /** Machine time this thread has run since it was last scheduled in (for the time slice). */
  sliceNs = 0n;
  voluntarySwitches = 0;
  involuntarySwitches = 0;

  /** The system call this task sleeps in, while blocked. */
  wait: Block | undefined;
  /** Why it woke: set when a blocked task becomes runnable, consumed when it runs. */
  wakeReason: WakeReason | undefined;
  /** The timer that ends `wait` at its deadline. */
  waitTimer: Timer | undefined;
  /** The system call number in progress (orig_ax), for restarts; -1 outside system calls. */
  syscallNr = -1;
  /** restart_syscall's continuation (current->restart_block). */
  restartBlock: (() => SyscallResult) | undefined;
  /** Return-to-user work is due before the next user instruction (a system call returned, or the task was switched in). */
  returnWork = true;
  /** The pending return to user space follows a system call (rax holds its result). */
  fromSyscall = false;
  /** The code the thread passed to exit(2) (the group's status if it was the leader and nobody calls exit_group). */
  exitCode = 0;
  /** The fault behind a pending fault signal, for the frame's trapno/cr2 and the report of a kill. */
  lastFault: FaultReport | undefined;
  /** current->thread.trap_nr / error_code / cr2 of the last fault, copied into every signal frame. */
  trap: TrapInfo | undefined;
  /** An injection breakpoint at this address was hit without firing: the next run steps over it. */
  passBreakpoint: number | undefined;
  /**
   * MachineOptions.stepSectionAfterInjection: after an injected event, the
   * thread waits for its next critical section, then runs it one
   * instruction per quantum.
   */
  sectionStep: 'waiting' | 'stepping' | undefined;
  /** CLOCK_BOOTTIME-relative machine time at creation (ns). */
  startNs = 0n;
  /** nice value (setpriority); every task starts at 0. */
  nice = 0;
  /** prctl(PR_SET_PDEATHSIG). */
  pdeathSignal = 0;
  /** comm (prctl PR_SET_NAME, /proc/<pid>/task/<tid>/comm). */
  name: string;

  constructor(
    readonly tid: number,
    public ctx: CpuContext,
    public group: ThreadGroup,
    allowed: bigint,
    name: string,
  ) {
    this.allowed = allowed;
    this.name = name.slice(0, 15);
  }

  get alive(): boolean {
    return this.state !== 'dead';
  }

  get isLeader(): boolean {
    return this.tid === this.group.tgid;
  }
}
