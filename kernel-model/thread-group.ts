// A process (Linux's thread group: struct signal_struct, mm_struct,
// files_struct, sighand_struct together). It owns what its threads share:
// the address space, the descriptors, the signal actions, the limits and the
// credentials. Today every process has one thread; the list is for later.

import type { Cpu } from '../emulator/api.js';
import { AddressSpace } from './address-space.js';
import { FdTable } from './fd-table.js';
import { ResourceLimits } from './rlimits.js';
import { SignalActions } from './signals.js';
import type { Task } from './task.js';
import type { Vfs } from './vfs.js';

export interface Credentials {
  uid: number;
  euid: number;
  gid: number;
  egid: number;
}

export class ThreadGroup {
  readonly mm: AddressSpace;
  readonly rlimits = new ResourceLimits();
  readonly fds: FdTable;
  readonly actions = new SignalActions();
  readonly tasks: Task[] = [];

  constructor(
    cpu: Cpu,
    readonly tgid: number,
    readonly ppid: number,
    readonly creds: Credentials,
    readonly vfs: Vfs,
    /** The program's path as /proc/self/exe shows it. */
    readonly exePath: string,
  ) {
    this.mm = new AddressSpace(cpu);
    this.fds = new FdTable(() => this.rlimits.fileLimit());
  }

  task(tid: number): Task | undefined {
    return this.tasks.find((t) => t.tid === tid);
  }
}
