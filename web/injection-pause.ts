// Where the page stops a fuzzer's run for a person to take over: as late
// as possible before its first injected event fires, at a point where
// stopping changes nothing. Machine.run only pauses transparently between
// two turns of its loop (RunOptions.until): a run stopped there and run on
// retires the same quanta, draws the same numbers and ends with the same
// trace hash as one that never stopped. Stopping by an instruction count
// would clip a quantum and change the rest of the run. So the pause is
// named by how many machine events come before it: "stop at the first turn
// after the n-th event". Pausing later never makes the event fire later,
// so the largest n that leaves it pending is found by bisection, each try
// a run from the same snapshot (a few milliseconds for these programs).

import type { Machine, MachineSnapshot } from '../kernel-model/machine.js';

/** Runs from `from` to the first turn after the n-th event (or the end, or `limit` instructions in all); returns whether an event was injected by then. */
function injectedBy(m: Machine, from: MachineSnapshot, limit: number, n: number): boolean {
  m.restore(from);
  let seen = 0;
  let injected = false;
  // Not in `until`: the machine stops asking it once it has said stop, and the turn it said so in runs on.
  const off = m.onEvent(() => { injected = true; }, ['inject']);
  try {
    m.run({ maxInstructions: Math.max(0, limit - m.retired), until: () => ++seen >= n || injected });
  } finally {
    off();
  }
  return injected;
}

/**
 * How many machine events the run from `from` makes before the last
 * transparent pause point at which its first injection is still pending;
 * undefined when no injection fires before the run ends. `limit` is the
 * total instructions the run may retire (as Runner.run's budget). Leaves
 * the machine at `from`.
 */
export function eventsBeforeFirstInjection(m: Machine, from: MachineSnapshot, limit: number): number | undefined {
  m.restore(from);
  let total = 0;
  let at: number | undefined;
  m.run({
    maxInstructions: Math.max(0, limit - m.retired),
    until: (e) => {
      total++;
      if (e.kind === 'inject') at = total;
      return at !== undefined;
    },
  });
  if (at === undefined) {
    m.restore(from);
    return undefined;
  }
  // Pausing after 0 events is the start (pending); after the inject event itself, it has fired.
  let good = 0;
  let bad = at;
  while (bad - good > 1) {
    const mid = Math.floor((good + bad) / 2);
    if (injectedBy(m, from, limit, mid)) bad = mid;
    else good = mid;
  }
  m.restore(from);
  return good;
}

/** Runs on from here to the first turn after `n` more events (eventsBeforeFirstInjection's answer): the machine as the fuzzer's run had it there. */
export function runEvents(m: Machine, limit: number, n: number): ReturnType<Machine['run']> | undefined {
  if (n <= 0) return undefined;
  let seen = 0;
  return m.run({ maxInstructions: Math.max(0, limit - m.retired), until: () => ++seen >= n });
}
