// Signal numbers, names, default actions (include/uapi/asm-generic/signal.h,
// kernel/signal.c sig_kernel_* sets) and the per-process table of actions
// set by rt_sigaction. Generation and delivery: signal-delivery.ts.

export const SIGHUP = 1;
export const SIGINT = 2;
export const SIGQUIT = 3;
export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGABRT = 6;
export const SIGBUS = 7;
export const SIGFPE = 8;
export const SIGKILL = 9;
export const SIGUSR1 = 10;
export const SIGSEGV = 11;
export const SIGUSR2 = 12;
export const SIGPIPE = 13;
export const SIGALRM = 14;
export const SIGTERM = 15;
export const SIGSTKFLT = 16;
export const SIGCHLD = 17;
export const SIGCONT = 18;
export const SIGSTOP = 19;
export const SIGTSTP = 20;
export const SIGTTIN = 21;
export const SIGTTOU = 22;
export const SIGURG = 23;
export const SIGXCPU = 24;
export const SIGXFSZ = 25;
export const SIGVTALRM = 26;
export const SIGPROF = 27;
export const SIGWINCH = 28;
export const SIGIO = 29;
export const SIGPWR = 30;
export const SIGSYS = 31;
export const NSIG = 64;

export const SIG_DFL = 0n;
export const SIG_IGN = 1n;

const NAMES = [
  '', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1',
  'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP',
  'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
];

export function signalName(sig: number): string {
  if (sig >= 1 && sig < NAMES.length) return NAMES[sig];
  if (sig >= 32 && sig <= NSIG) return `SIGRT${sig - 32}`;
  return `signal ${sig}`;
}

export type DefaultAction = 'terminate' | 'core' | 'ignore' | 'stop' | 'continue';

/** kernel/signal.c: SIG_KERNEL_COREDUMP_MASK, SIG_KERNEL_IGNORE_MASK, SIG_KERNEL_STOP_MASK. */
export function defaultAction(sig: number): DefaultAction {
  switch (sig) {
    case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE:
    case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
      return 'core';
    case SIGCHLD: case SIGURG: case SIGWINCH:
      return 'ignore';
    case SIGCONT:
      return 'continue';
    case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
      return 'stop';
    default:
      return 'terminate';
  }
}

export function sigmaskBit(sig: number): bigint {
  return 1n << BigInt(sig - 1);
}

/** SIGKILL and SIGSTOP can be neither caught, blocked nor ignored. */
export const UNBLOCKABLE = sigmaskBit(SIGKILL) | sigmaskBit(SIGSTOP);

/** struct k_sigaction as x86-64 lays it out for rt_sigaction. */
export interface SigAction {
  handler: bigint;
  flags: bigint;
  restorer: bigint;
  mask: bigint;
}

export const SA_NOCLDSTOP = 0x1n;
export const SA_NOCLDWAIT = 0x2n;
export const SA_SIGINFO = 0x4n;
export const SA_RESTORER = 0x04000000n;
export const SA_ONSTACK = 0x08000000n;
export const SA_RESTART = 0x10000000n;
export const SA_NODEFER = 0x40000000n;
export const SA_RESETHAND = 0x80000000n;

/** SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU (SIG_KERNEL_STOP_MASK). */
export const STOP_SIGNALS = sigmaskBit(SIGSTOP) | sigmaskBit(SIGTSTP) | sigmaskBit(SIGTTIN) | sigmaskBit(SIGTTOU);
/** Faults raised by an instruction: dequeued before any other signal (kernel/signal.c SYNCHRONOUS_MASK). */
export const SYNCHRONOUS_MASK = sigmaskBit(SIGSEGV) | sigmaskBit(SIGBUS) | sigmaskBit(SIGILL) | sigmaskBit(SIGTRAP) | sigmaskBit(SIGFPE) | sigmaskBit(SIGSYS);

/** The signal handlers of a thread group (struct sighand_struct). */
export class SignalActions {
  private readonly actions: SigAction[] = [];

  constructor() {
    for (let i = 0; i <= NSIG; i++) this.actions.push({ handler: SIG_DFL, flags: 0n, restorer: 0n, mask: 0n });
  }

  /** A copy for a fork child (copy_sighand). */
  copy(): SignalActions {
    const c = new SignalActions();
    for (let i = 0; i <= NSIG; i++) c.actions[i] = { ...this.actions[i] };
    return c;
  }

  /** execve: handled signals go back to the default action; ignored ones stay ignored (flush_signal_handlers). */
  resetForExec(): void {
    for (let i = 1; i <= NSIG; i++) {
      const a = this.actions[i];
      if (a.handler !== SIG_IGN) this.actions[i] = { handler: SIG_DFL, flags: 0n, restorer: 0n, mask: 0n };
      else this.actions[i] = { ...a, flags: 0n, restorer: 0n, mask: 0n };
    }
  }

  get(sig: number): SigAction {
    return { ...this.actions[sig] };
  }

  set(sig: number, action: SigAction): void {
    this.actions[sig] = { ...action, mask: action.mask & ~UNBLOCKABLE };
  }

  /** What happens if sig arrives now: run a handler, ignore it, or the default action. */
  disposition(sig: number): 'handler' | 'ignore' | DefaultAction {
    const h = this.actions[sig].handler;
    if (h === SIG_IGN) return 'ignore';
    if (h === SIG_DFL) return defaultAction(sig);
    return 'handler';
  }
}
