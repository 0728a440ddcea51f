// A process (Linux's thread group: struct signal_struct, with references to
// the mm_struct, files_struct and sighand_struct it may share). It owns what
// its threads share: the address space, the descriptors, the signal actions,
// the process-wide pending signals, the limits, the credentials, its place
// in the process tree and, once it has exited, its wait status.

import { AddressSpace } from './address-space.js';
import { FdTable } from './fd-table.js';
import { ResourceLimits } from './rlimits.js';
import { SignalActions } from './signals.js';
import { SigPending, type Task } from './task.js';
import type { Timer } from './timers.js';
import type { Vfs } from './vfs.js';
import { WaitQueue } from './wait.js';

export interface Credentials {
  uid: number;
  euid: number;
  gid: number;
  egid: number;
  /** Saved set-user/group-ID (default: the effective ones). */
  suid?: number;
  sgid?: number;
}

/** An interval timer (ITIMER_REAL / VIRTUAL / PROF) or a POSIX timer's state. */
export interface IntervalTimer {
  /** Absolute expiry: machine ns for REAL, process CPU ns for VIRTUAL/PROF; 0n = disarmed. */
  value: bigint;
  interval: bigint;
  timer?: Timer;
}

/** A POSIX timer (timer_create). */
export interface PosixTimer {
  id: number;
  clockId: number;
  /** SIGEV_SIGNAL (0), SIGEV_NONE (1), SIGEV_THREAD (2, done by glibc as SIGEV_THREAD_ID), SIGEV_THREAD_ID (4). */
  notify: number;
  signo: number;
  value: bigint;
  /** SIGEV_THREAD_ID target. */
  tid: number;
  state: IntervalTimer;
  overrun: number;
  /** A signal for this timer is queued and not yet delivered (the kernel queues at most one). */
  queued: boolean;
}

export type ProcessState = 'alive' | 'zombie' | 'reaped';

export class ThreadGroup {
  readonly tasks: Task[] = [];
  readonly children: ThreadGroup[] = [];
  /** Signals sent to the process (shared_pending). */
  readonly sharedPending = new SigPending();
  /** Tasks of the parent sleeping in wait4/waitid for this process's children (current->signal->wait_chldexit). */
  readonly childWait = new WaitQueue();
  state: ProcessState = 'alive';
  /** The wait status once a zombie: exit code << 8, or the signal (| 0x80 for a core dump). */
  waitStatus = 0;
  /** Set by exit_group or a fatal signal: every thread is on its way out (SIGNAL_GROUP_EXIT). */
  groupExiting = false;
  /** How the process ended (exit_group's code or the fatal signal). */
  exitHow: import('./exit.js').ExitHow | undefined;
  /** The leader's own exit code when it left by exit(2) before the others (the group's status if nobody calls exit_group). */
  leaderExitCode: number | undefined;
  /** A stop or continue the parent has not yet collected with WUNTRACED / WCONTINUED. */
  pendingStopReport: 'stopped' | 'continued' | undefined;
  stopSignal = 0;
  pgid: number;
  sid: number;
  umask = 0o022;
  /** CPU time of threads that have exited (ns). */
  deadThreadsCpuNs = 0n;
  /** CPU time of waited-for children (ns), for times() and getrusage(RUSAGE_CHILDREN). */
  childrenCpuNs = 0n;
  readonly itimers: IntervalTimer[] = [{ value: 0n, interval: 0n }, { value: 0n, interval: 0n }, { value: 0n, interval: 0n }];
  readonly posixTimers = new Map<number, PosixTimer>();
  nextTimerId = 0;
  /** prctl(PR_SET_DUMPABLE): whether a fatal signal may write a core. */
  dumpable = true;
  /** The program the process runs (symbols for reports); set at start-up and by execve. */
  image: import('./elf.js').ElfImage | undefined;
  /** membarrier registrations (MEMBARRIER_CMD_REGISTER_* bits). */
  membarrierRegistrations = 0;
  /** The signal the parent gets when this process exits (clone's CSIGNAL byte; SIGCHLD for fork). */
  exitSignal = 17;
  /** execve without CLONE_VFORK parent waiting: set when the vfork parent must be released. */
  vforkParent: Task | undefined;

  constructor(
    readonly tgid: number,
    public parent: ThreadGroup | undefined,
    public creds: Credentials,
    public mm: AddressSpace,
    public fds: FdTable,
    public actions: SignalActions,
    public rlimits: ResourceLimits,
    public vfs: Vfs,
    /** The program's path as /proc/self/exe shows it. */
    public exePath: string,
    public argv: string[],
    public envp: string[],
  ) {
    this.pgid = parent?.pgid ?? tgid;
    this.sid = parent?.sid ?? tgid;
  }

  get ppid(): number {
    return this.parent?.tgid ?? 0;
  }

  /** The thread group leader, or the first live thread once the leader is gone. */
  get leader(): Task | undefined {
    return this.tasks.find((t) => t.tid === this.tgid) ?? this.tasks[0];
  }

  liveTasks(): Task[] {
    return this.tasks.filter((t) => t.alive);
  }

  task(tid: number): Task | undefined {
    return this.tasks.find((t) => t.tid === tid && t.alive);
  }

  /** Total CPU time of the process: live and exited threads (ns). */
  cpuNs(): bigint {
    let ns = this.deadThreadsCpuNs;
    for (const t of this.tasks) ns += t.cpuNs;
    return ns;
  }

  get comm(): string {
    return this.leader?.name ?? this.exePath.split('/').pop() ?? '';
  }
}

export { AddressSpace, FdTable, ResourceLimits, SignalActions };
