// What a system call handler sees: the raw argument registers and the
// kernel objects. Handlers return the value for rax (a result, or a
// negative errno) or a Block when the task must sleep (wait.ts).

import type { Kernel } from '../kernel.js';
import type { SyscallResult } from '../wait.js';
import type { Task } from '../task.js';
import type { ThreadGroup } from '../thread-group.js';
import type { UserMemory } from '../user-memory.js';

export interface SyscallCall {
  readonly nr: number;
  /** rdi, rsi, rdx, r10, r8, r9 as raw u64 values. */
  readonly args: readonly bigint[];
  readonly kernel: Kernel;
  readonly task: Task;
  readonly group: ThreadGroup;
  readonly mem: UserMemory;
}

export type SyscallHandler = (call: SyscallCall) => SyscallResult;

/** Handlers of one family, by syscall name as in syscall_64.tbl. */
export type SyscallFamily = Readonly<Record<string, SyscallHandler>>;
