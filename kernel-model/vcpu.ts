// A virtual CPU: the task it runs, the tasks waiting for it, and how far
// its clock has got. Machine time is a discrete-event simulation: each vCPU
// advances its own clock by the instructions it retires (1 ns each), the
// machine always lets the vCPU that is furthest behind run next, and an idle
// vCPU's clock is brought forward when it gets work. So four threads on four
// vCPUs take a quarter of the virtual time one thread needs, as on real
// hardware.

import type { Task } from './task.js';

export class VCpu {
  /** The task whose register file this vCPU executes; undefined when idle. */
  current: Task | undefined;
  /** Runnable tasks waiting for this vCPU, in arrival order (round robin). */
  readonly queue: Task[] = [];
  /** Machine time (ns since boot of the model) this vCPU has reached. */
  clock = 0n;
  /** Time spent running user code, for /proc/stat. */
  userNs = 0n;
  /** Context switches on this vCPU. */
  switches = 0;

  constructor(
    readonly id: number,
    readonly node: number,
  ) {}

  /** Tasks on this vCPU: running plus queued (nr_running). */
  get load(): number {
    return (this.current ? 1 : 0) + this.queue.length;
  }

  get busy(): boolean {
    return this.current !== undefined || this.queue.length > 0;
  }

  dequeue(task: Task): boolean {
    const i = this.queue.indexOf(task);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    return true;
  }
}

/** CPUs split evenly across nodes: node of cpu c = floor(c / ceil(cpus / nodes)). */
export function nodeOfCpu(cpu: number, cpus: number, nodes: number): number {
  const perNode = Math.ceil(cpus / nodes);
  return Math.floor(cpu / perNode);
}

/** A bit mask of the first n CPUs. */
export function allCpusMask(n: number): bigint {
  return (1n << BigInt(n)) - 1n;
}

export function cpuAllowed(mask: bigint, cpu: number): boolean {
  return (mask & (1n << BigInt(cpu))) !== 0n;
}
