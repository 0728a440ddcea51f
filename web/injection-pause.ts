// Where the page stops a fuzzer's run for a person to take over: as late
// as possible before its first injected event fires, at a point where
// stopping changes nothing. Machine.run only pauses transparently between
// two turns of its loop (RunOptions.until): a run stopped there and run on
// retires the same quanta, draws the same numbers and ends with the same
// trace hash as one that never stopped. Stopping by an instruction count
// would clip a quantum and change the rest of the run. So the pause is
// named by how many machine events come before it: "stop at the first turn
// after the n-th event". Pausing later never makes the event fire later,
// so the largest n that leaves it pending is found by bisection.
//
// Each try is a run, so a run of E events would cost log2(E) runs from the
// start. Instead the run is first cut into STRETCHES pieces, snapshotted
// at each cut that still has the event pending (a snapshot is cheap and a
// pause changes nothing), and the bisection runs only within the last
// piece: about two runs and a sixteenth of one per try, whatever E is.

import type { Machine, MachineSnapshot } from '../kernel-model/machine.js';

const STRETCHES = 16;

/** A transparent pause point: a snapshot there and how many events the run had made by then. */
interface Cut {
  snapshot: MachineSnapshot;
  events: number;
}

/**
 * From `cut`, runs to the first turn after the run's n-th event (or its end,
 * or `limit` instructions in all). Returns whether an event was injected by
 * then and how many events had been made.
 */
function runTo(m: Machine, cut: Cut, limit: number, n: number): { injected: boolean; events: number } {
  m.restore(cut.snapshot);
  let events = cut.events;
  let injected = false;
  // Counted outside `until`: the machine stops asking it once it has said stop, and that turn runs on (making more events).
  const off = m.onEvent((e) => {
    events++;
    if (e.kind === 'inject') injected = true;
  });
  try {
    m.run({ maxInstructions: Math.max(0, limit - m.retired), until: () => events >= n || injected });
  } finally {
    off();
  }
  return { injected, events };
}

/**
 * How many machine events the run from `from` makes before the last
 * transparent pause point at which its first injection is still pending;
 * undefined when no injection fires before the run ends. `limit` is the
 * total instructions the run may retire (as Runner.run's budget). Leaves
 * the machine at `from`.
 */
export function eventsBeforeFirstInjection(m: Machine, from: MachineSnapshot, limit: number): number | undefined {
  const start: Cut = { snapshot: from, events: 0 };
  const first = runTo(m, start, limit, Infinity);
  if (!first.injected) {
    m.restore(from);
    return undefined;
  }
  // Pausing after 0 events is the start (pending); after all the events up to the injection's, it has fired.
  const at = first.events;
  let base = start;
  let good = 0;
  let bad = at;
  const stride = Math.max(1, Math.ceil(at / STRETCHES));
  try {
    // Forward in stretches, keeping a snapshot of the last pause with the event pending.
    while (good + stride < bad) {
      const r = runTo(m, base, limit, good + stride);
      if (r.injected) {
        bad = good + stride;
        break;
      }
      const next = { snapshot: m.snapshot(), events: r.events };
      if (base !== start) m.releaseSnapshot(base.snapshot);
      base = next;
      good = r.events;
    }
    while (bad - good > 1) {
      const mid = Math.floor((good + bad) / 2);
      if (runTo(m, base, limit, mid).injected) bad = mid;
      else good = mid;
    }
  } finally {
    if (base !== start) m.releaseSnapshot(base.snapshot);
    m.restore(from);
  }
  return good;
}

/** Runs on from `from` (where the machine is) to the first turn after its n-th event (eventsBeforeFirstInjection's answer): the machine as the fuzzer's run had it there. yieldWhen may cut it short between turns (Machine RunOptions). */
export function runEvents(m: Machine, limit: number, n: number, yieldWhen?: () => boolean): ReturnType<Machine['run']> | undefined {
  if (n <= 0) return undefined;
  let events = 0;
  const off = m.onEvent(() => { events++; });
  try {
    return m.run({ maxInstructions: Math.max(0, limit - m.retired), until: () => events >= n, yieldWhen });
  } finally {
    off();
  }
}
