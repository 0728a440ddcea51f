// Injected events: preemption, migration and signals at an exact point of
// a thread's execution. Injection is an input to the machine, never code
// inside the kernel: the fuzzer, the page or `--inject` says what and
// where, the machine stops the thread there (an instruction count or a
// breakpoint address), and the kernel applies the event as Linux would
// apply the real one (a context switch with rseq_preempt, set_task_cpu with
// rseq_migrate, a signal through send_signal). The rseq fixup then runs on
// the thread's next return to user space, in its one place (rseq.ts).

/** What happens to the thread. */
export type InjectAction =
  /** It is switched out and back in: another runnable task (or the idle task) runs on its vCPU in between. */
  | { kind: 'preempt' }
  /** It moves to vCPU `cpu` (a switch out, then set_task_cpu). */
  | { kind: 'migrate'; cpu: number }
  /**
   * Signal `sig` to the thread, or to its whole process. `ifHandled`: only
   * if the process has a handler for it at that moment (else the event is
   * skipped), so a fuzzer never kills a program with a signal it does not
   * expect yet.
   */
  | { kind: 'signal'; sig: number; scope: 'thread' | 'process'; ifHandled?: boolean };

/** Where. */
export type InjectPoint =
  /** When thread `tid` has retired `count` instructions of its own (counted from its creation). */
  | { kind: 'instructions'; tid: number; count: number }
  /** When a thread (any, or `tid`) is about to execute the instruction at `address`, the `hit`-th time (default 1). */
  | { kind: 'address'; address: number; hit?: number; tid?: number };

export interface Injection {
  action: InjectAction;
  at: InjectPoint;
}

/** An injection the machine still waits to apply, with its progress. */
export interface PendingInjection extends Injection {
  readonly id: number;
  /** Times the address was reached so far. */
  hits: number;
  /** Drawn by chaos mode rather than asked for. */
  chaos?: boolean;
}

/**
 * Chaos mode: random injected events, drawn from the machine's seed. Each
 * thread gets one pending event at a time, at a random distance (uniform,
 * mean `1000 / perThousand` instructions) of its own execution.
 */
export interface ChaosOptions {
  /** Injected events per 1000 instructions of each thread (0.001 to 1000). */
  perThousand: number;
  /** Which kinds (default all three); signals go only to processes that handle one. */
  events?: readonly ('preempt' | 'migrate' | 'signal')[];
}

export function describeInjection(i: Injection): string {
  const a = i.action;
  const what = a.kind === 'preempt' ? 'preempt' : a.kind === 'migrate' ? `migrate to vCPU ${a.cpu}` : `signal ${a.sig} to the ${a.scope}${a.ifHandled ? ' if handled' : ''}`;
  const p = i.at;
  const where = p.kind === 'instructions'
    ? `after ${p.count} instructions of tid ${p.tid}`
    : `at 0x${p.address.toString(16)}${(p.hit ?? 1) > 1 ? ` (hit ${p.hit})` : ''}${p.tid !== undefined ? ` in tid ${p.tid}` : ''}`;
  return `${what} ${where}`;
}
