// Timers on virtual time (Linux's hrtimers): sleep and futex timeouts,
// itimers, POSIX timers, alarm. Each has an absolute deadline in machine
// time (nanoseconds since the model booted); the machine never lets a vCPU
// run past the earliest deadline, and fires due timers in deadline order
// (ties: creation order), so timers are as deterministic as the rest.

export interface Timer {
  readonly id: number;
  deadline: bigint;
  /** Runs when machine time reaches the deadline. */
  readonly fire: () => void;
  /** For traces and deadlock reports. */
  readonly what: string;
}

export class TimerQueue {
  private timers: Timer[] = [];
  private nextId = 1;

  /** Arms a one-shot timer; returns it so the caller can cancel it. */
  add(deadline: bigint, what: string, fire: () => void): Timer {
    const t: Timer = { id: this.nextId++, deadline, fire, what };
    // Keep sorted by (deadline, id): insert after every timer due no later.
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1].deadline > deadline) i--;
    this.timers.splice(i, 0, t);
    return t;
  }

  cancel(t: Timer | undefined): void {
    if (!t) return;
    const i = this.timers.indexOf(t);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** The earliest deadline, or undefined when no timer is armed. */
  nextDeadline(): bigint | undefined {
    return this.timers.length > 0 ? this.timers[0].deadline : undefined;
  }

  /** Fires every timer due at or before `now`, earliest first; a timer may arm new ones. */
  fireDue(now: bigint): number {
    let fired = 0;
    while (this.timers.length > 0 && this.timers[0].deadline <= now) {
      const t = this.timers.shift()!;
      t.fire();
      fired++;
    }
    return fired;
  }
}
