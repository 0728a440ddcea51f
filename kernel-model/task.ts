// A thread (Linux's struct task_struct, the per-thread part). It owns its
// register file; rip and every register live in the CpuContext only.

import type { CpuContext } from '../emulator/api.js';
import { TaskRseq } from './rseq.js';
import type { ThreadGroup } from './thread-group.js';

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

export class Task {
  readonly rseq = new TaskRseq();
  /** set_tid_address / CLONE_CHILD_CLEARTID: zeroed and futex-woken at exit. */
  clearChildTid = 0n;
  robustList: RobustList = { head: 0n, length: 0n };
  /** Blocked signals (bit sig-1). */
  blocked = 0n;
  /** Signals sent to this task and not yet delivered. */
  pending = 0n;
  altStack: AltStack = { sp: 0n, flags: SS_DISABLE, size: 0n };
  /** The vCPU this task runs on. */
  cpu = 0;

  constructor(
    readonly tid: number,
    readonly ctx: CpuContext,
    readonly group: ThreadGroup,
  ) {}
}
