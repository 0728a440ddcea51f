// The scheduler: run queues per vCPU and every decision about which task
// runs where. Plain data plus a seeded policy, so a run is reproducible:
//
// - placement (kernel/sched/fair.c select_task_rq_fair): a new task goes to
//   the least loaded allowed vCPU; a woken task to its previous vCPU if that
//   is idle, else to an idle allowed vCPU, else back to its previous one;
//   ties are broken by the seeded generator;
// - time slices: a task runs until it blocks, yields, or has used
//   TIME_SLICE_NS while others wait on its vCPU (then it goes to the tail of
//   the queue: round robin, CFS with equal weights in the long run);
// - load balancing: a vCPU that goes idle pulls a queued task from the
//   busiest vCPU (newidle balance); periodically, queued tasks move to idle
//   vCPUs they may run on;
// - interleaving: the vCPU whose clock is furthest behind runs next, for a
//   seeded number of instructions when several vCPUs are busy.
//
// Context switches and migrations are reported to the kernel through hooks
// (rseq preempt/migrate events, mm_cid, trace events): the rules for those
// live where the rest of their rules live.

import type { MachineEvent } from './events.js';
import type { SeededRandom } from './prng.js';
import type { Task } from './task.js';
import { cpuAllowed, type VCpu } from './vcpu.js';

/** CFS's minimum granularity at this machine size, rounded: 3 ms. */
export const TIME_SLICE_NS = 3_000_000n;
/** How often queued tasks are moved to idle vCPUs (the periodic balance tick). */
export const BALANCE_INTERVAL_NS = 4_000_000n;
/** Default mean quantum (instructions) when several vCPUs are busy. */
export const DEFAULT_QUANTUM = 1000;

export type SwitchReason = Extract<MachineEvent, { kind: 'switch' }>['reason'];
export type MigrateReason = Extract<MachineEvent, { kind: 'migrate' }>['reason'];

export interface SchedulerHooks {
  emit(e: MachineEvent): void;
  /** The task leaves its vCPU (context switch away from it). */
  switchedOut(task: Task, vcpu: VCpu): void;
  /** The task becomes the current task of a vCPU. */
  switchedIn(task: Task, vcpu: VCpu): void;
  /** The task's CPU changes (set_task_cpu). */
  migrated(task: Task, from: number, to: number): void;
}

export interface QuantumPolicy {
  /** Mean number of instructions a vCPU runs before another may interleave, when several are busy. */
  mean: number;
}

export class Scheduler {
  private lastBalance = 0n;

  constructor(
    readonly vcpus: readonly VCpu[],
    private random: SeededRandom,
    private readonly hooks: SchedulerHooks,
    readonly quantum: QuantumPolicy = { mean: DEFAULT_QUANTUM },
  ) {}

  /** Draws the scheduler's choices from another stream from now on (a fuzzer forking schedules from one snapshot). */
  /** Where the scheduler's random stream stands: equal before and after a stretch of run means it drew no choice. */
  randomState(): string {
    return JSON.stringify(this.random);
  }

  reseed(random: SeededRandom): void {
    this.random = random;
  }

  /** How many vCPUs were busy at the last nextVcpu(). */
  busyVcpus = 0;

  /** The busy vCPU whose clock is furthest behind (lowest id on ties), or undefined when all are idle. */
  nextVcpu(): VCpu | undefined {
    let best: VCpu | undefined;
    let busy = 0;
    for (const v of this.vcpus) {
      if (!v.busy) continue;
      busy++;
      if (!best || v.clock < best.clock) best = v;
    }
    this.busyVcpus = busy;
    return best;
  }

  /**
   * How many instructions the vCPU may run now. Alone, it runs until the
   * next event (the caller bounds that); with company, a seeded quantum:
   * mostly around the mean, sometimes very short, so that interleavings at
   * single-instruction granularity happen too.
   */
  drawQuantum(contended: boolean): number {
    if (!contended) return Number.MAX_SAFE_INTEGER;
    const r = this.random.nextU32();
    const mean = Math.max(1, this.quantum.mean);
    if ((r & 7) === 0) return 1 + ((r >>> 3) % Math.min(64, 2 * mean));
    return 1 + ((r >>> 3) % (2 * mean));
  }

  /** Makes the vCPU's current task the next one from its queue, pulling from other vCPUs when empty. */
  pickNext(v: VCpu, now: bigint, reason: SwitchReason): void {
    if (v.current) return;
    let next = v.queue.shift();
    if (!next) next = this.pullFor(v, now);
    if (!next) {
      return;
    }
    if (v.clock < now) v.clock = now;
    this.setCurrent(v, next, 0, reason);
  }

  private setCurrent(v: VCpu, task: Task, from: number, reason: SwitchReason): void {
    v.current = task;
    v.switches++;
    task.state = 'running';
    task.sliceNs = 0n;
    this.hooks.emit({ kind: 'switch', t: v.clock, cpu: v.id, from, to: task.tid, reason });
    this.hooks.switchedIn(task, v);
  }

  /** The task stops running on its vCPU (it blocked, exited, yielded or was preempted); the next one is picked. */
  switchOut(task: Task, reason: SwitchReason, now: bigint): void {
    const v = this.vcpus[task.cpu];
    if (v.current !== task) {
      v.dequeue(task);
      return;
    }
    v.current = undefined;
    this.hooks.switchedOut(task, v);
    if (reason === 'block' || reason === 'exit' || reason === 'stop') task.voluntarySwitches++;
    else task.involuntarySwitches++;
    if (reason === 'preempt' || reason === 'yield') {
      task.state = 'runnable';
      v.queue.push(task);
    }
    const next = v.queue.shift() ?? this.pullFor(v, now);
    if (next) {
      if (v.clock < now) v.clock = now;
      this.setCurrent(v, next, task.tid, reason);
    } else {
      this.hooks.emit({ kind: 'switch', t: v.clock, cpu: v.id, from: task.tid, to: 0, reason });
    }
  }

  /** The time slice is over and others wait: round robin (the preempted task gets the rseq preempt event). */
  sliceExpired(v: VCpu): boolean {
    const t = v.current;
    return t !== undefined && v.queue.length > 0 && t.sliceNs >= TIME_SLICE_NS;
  }

  /** wake_up_new_task: the least loaded allowed vCPU. */
  enqueueNew(task: Task, now: bigint): void {
    const cpu = this.leastLoaded(task);
    this.place(task, cpu, now, 'wake');
  }

  /** try_to_wake_up: previous vCPU if idle, else an idle allowed vCPU, else the previous one. */
  wake(task: Task, now: bigint): void {
    let cpu = task.cpu;
    const prevOk = cpuAllowed(task.allowed, cpu);
    if (!prevOk || this.vcpus[cpu].busy) {
      const idle = this.vcpus.filter((v) => !v.busy && cpuAllowed(task.allowed, v.id));
      if (idle.length > 0) cpu = idle[this.random.nextU32() % idle.length].id;
      else if (!prevOk) cpu = this.leastLoaded(task);
    }
    this.place(task, cpu, now, 'wake');
  }

  /** Moves a task to vCPU `cpu` (affinity change, injection): a running task is switched out first. */
  migrate(task: Task, cpu: number, now: bigint, reason: 'affinity' | 'inject' | 'balance'): void {
    const from = task.cpu;
    if (task.state === 'running') this.switchOut(task, 'migrate', now);
    else if (task.state === 'runnable') this.vcpus[from].dequeue(task);
    else {
      // Blocked or stopped: it will wake on the new CPU.
      this.setCpu(task, cpu, reason);
      return;
    }
    this.place(task, cpu, now, reason);
  }

  private place(task: Task, cpu: number, now: bigint, reason: 'wake' | 'affinity' | 'inject' | 'balance'): void {
    this.setCpu(task, cpu, reason);
    const v = this.vcpus[cpu];
    task.state = 'runnable';
    if (!v.current && v.queue.length === 0) {
      if (v.clock < now) v.clock = now;
      this.setCurrent(v, task, 0, 'wake');
    } else {
      v.queue.push(task);
    }
  }

  private setCpu(task: Task, cpu: number, reason: MigrateReason): void {
    if (task.cpu === cpu) return;
    const from = task.cpu;
    task.cpu = cpu;
    this.hooks.emit({ kind: 'migrate', t: this.vcpus[cpu].clock, tid: task.tid, from, to: cpu, reason });
    this.hooks.migrated(task, from, cpu);
  }

  private leastLoaded(task: Task): number {
    let best: VCpu[] = [];
    for (const v of this.vcpus) {
      if (!cpuAllowed(task.allowed, v.id)) continue;
      if (best.length === 0 || v.load < best[0].load) best = [v];
      else if (v.load === best[0].load) best.push(v);
    }
    if (best.length === 0) return task.cpu;
    return best.length === 1 ? best[0].id : best[this.random.nextU32() % best.length].id;
  }

  /** Newidle balance: take a queued task that may run here from the busiest vCPU. */
  private pullFor(v: VCpu, now: bigint): Task | undefined {
    let busiest: VCpu | undefined;
    for (const o of this.vcpus) {
      if (o === v || o.queue.length === 0) continue;
      if (!o.queue.some((t) => cpuAllowed(t.allowed, v.id))) continue;
      if (!busiest || o.queue.length > busiest.queue.length) busiest = o;
    }
    if (!busiest) return undefined;
    const candidates = busiest.queue.filter((t) => cpuAllowed(t.allowed, v.id));
    const task = candidates[this.random.nextU32() % candidates.length];
    busiest.dequeue(task);
    if (v.clock < now) v.clock = now;
    this.setCpu(task, v.id, 'balance');
    return task;
  }

  /** The periodic balance tick: queued tasks move to idle vCPUs they may run on. */
  balance(now: bigint): void {
    if (now - this.lastBalance < BALANCE_INTERVAL_NS) return;
    this.lastBalance = now;
    for (const v of this.vcpus) {
      if (v.busy) continue;
      this.pickNext(v, now, 'wake');
    }
  }
}
