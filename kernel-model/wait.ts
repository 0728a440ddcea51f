// Blocking without blocking the host. A system call that must wait (futex
// wait, wait4, a read of an empty pipe, nanosleep, sigsuspend) returns a
// Block instead of a result: the task leaves its run queue with the record
// of what it waits for, and a later event (a wake, a child's exit, a write,
// a virtual-time deadline, a signal) makes it runnable again. When it next
// runs, in its own address space, `resume` computes the system call's
// result, or blocks again (a woken pipe reader that finds the pipe emptied
// by another reader). This is Linux's prepare_to_wait / schedule /
// finish_wait loop turned inside out.

import type { Task } from './task.js';

/** Why a sleeping task woke up. */
export type WakeReason = 'woken' | 'timeout' | 'signal';

/** What a task waits on, for deadlock reports and /proc (wchan). */
export interface WaitDescription {
  /** 'futex', 'wait4', 'pipe-read', 'pipe-write', 'sleep', 'sigsuspend', 'sigtimedwait', 'poll', 'pause', 'vfork', ... */
  kind: string;
  /** In words, e.g. "futex 0x4c3f10 (value 2)". */
  detail: string;
  /** A guest address the wait is about (futex word), for symbolising. */
  address?: number;
}

export interface Block {
  readonly block: true;
  readonly what: WaitDescription;
  /** Absolute machine time (ns since boot of the model) at which the wait times out. */
  readonly deadline?: bigint;
  /**
   * TASK_INTERRUPTIBLE: any unblocked, non-ignored signal wakes the task.
   * Otherwise (TASK_KILLABLE) only a fatal signal does.
   */
  readonly interruptible: boolean;
  /** Computes the system call's result when the task runs again; may block again. */
  resume(reason: WakeReason): SyscallResult;
  /** Removes the task from whatever queue it sits on, when it wakes for another reason. */
  cancel?(): void;
}

/** What a system call handler returns: rax (a value or a negative errno), or a Block. */
export type SyscallResult = number | bigint | Block;

export function isBlock(r: SyscallResult): r is Block {
  return typeof r === 'object';
}

export function block(spec: Omit<Block, 'block'>): Block {
  return { block: true, ...spec };
}

/**
 * A wait queue (struct wait_queue_head): tasks waiting for one condition.
 * Waking calls back into the kernel through `wake`, which the queue is given
 * by its owner so the queue stays a plain object.
 */
export class WaitQueue {
  private readonly waiters: Task[] = [];

  add(task: Task): void {
    if (!this.waiters.includes(task)) this.waiters.push(task);
  }

  remove(task: Task): void {
    const i = this.waiters.indexOf(task);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  /** Wakes every waiter, in the order they started waiting. */
  wakeAll(wake: (task: Task) => void): void {
    const all = this.waiters.splice(0);
    for (const t of all) wake(t);
  }
}
