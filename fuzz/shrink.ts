// Shrinking a failing schedule: first the fewest injected events (drop one
// at a time while the run still fails the same way), then the shortest run
// (move each event to an earlier visit or instruction count while it still
// fails and the run gets shorter). Every candidate is a real run, so the
// result fails exactly as reported. The run may stand for several (one per
// kernel profile, for a kernel differential): then its judge decides what
// "the same failure" means and `retired` is what "shorter" compares.

import type { Injection } from '../kernel-model/injection.js';
import { judge, type Failure } from './judge.js';
import type { RunOutcome } from './runner.js';
import type { Schedule } from './schedule.js';

export interface Shrunk<O extends { retired: number } = RunOutcome> {
  schedule: Schedule;
  outcome: O;
  failure: Failure;
  /** Runs spent shrinking. */
  runs: number;
  /** Asked to stop before the end: the smallest failing schedule found so far, not fully shrunk. */
  stopped?: boolean;
}

/** Earlier points to try for one event, nearest to the start first. */
function earlier(e: Injection): Injection[] {
  const at = e.at;
  const values = (v: number) => {
    const out = new Set<number>([1, 2, 3]);
    for (let x = Math.floor(v / 2); x > 3; x = Math.floor(x / 2)) out.add(x);
    for (let d = 1; d <= 3; d++) out.add(v - d);
    return [...out].filter((x) => x >= 1 && x < v).sort((a, b) => a - b);
  };
  if (at.kind === 'address') return values(at.hit ?? 1).map((hit) => ({ ...e, at: { ...at, hit } }));
  return values(at.count).map((count) => ({ ...e, at: { ...at, count } }));
}

/**
 * The shrink as steps: it yields before each candidate run, and the value
 * passed to next() says whether to stop there (true: end now with the
 * smallest failing schedule found so far, reported with `stopped`). A
 * caller that cannot block (the page's Web Worker) gives its event loop a
 * turn between steps, so a Stop can arrive; shrink() runs them all.
 */
export function* shrinkSteps<O extends { retired: number } = RunOutcome>(
  run: (s: Schedule) => O,
  schedule: Schedule,
  outcome: O,
  failure: Failure,
  maxRuns = 300,
  judgeOf: (o: O) => Failure | undefined = judge as unknown as (o: O) => Failure | undefined,
): Generator<void, Shrunk<O>, boolean | undefined> {
  let best = { schedule, outcome, failure };
  let runs = 0;
  let stopped = false;
  function* attempt(s: Schedule): Generator<void, boolean, boolean | undefined> {
    if (runs >= maxRuns || stopped) return false;
    if (yield) {
      stopped = true;
      return false;
    }
    runs++;
    let o: O;
    try {
      o = run(s);
    } catch (e) {
      if (e instanceof RangeError) return false;
      throw e;
    }
    const f = judgeOf(o);
    if (!f || f.class !== best.failure.class) return false;
    best = { schedule: s, outcome: o, failure: f };
    return true;
  }
  // 1. Fewest events.
  for (let i = best.schedule.events.length - 1; i >= 0 && !stopped; i--) {
    const events = best.schedule.events.filter((_, j) => j !== i);
    yield* attempt({ ...best.schedule, events });
  }
  // 2. Shortest run: each event as early as it still fails.
  for (let i = 0; i < best.schedule.events.length && !stopped; i++) {
    for (const e of earlier(best.schedule.events[i])) {
      if (stopped) break;
      const events = best.schedule.events.map((x, j) => (j === i ? e : x));
      const before = best.outcome.retired;
      const saved = best;
      if (yield* attempt({ ...best.schedule, events })) {
        if (best.outcome.retired <= before) break;
        best = saved; // fails too, but runs longer: keep the shorter one
      }
    }
  }
  return { ...best, runs, ...(stopped ? { stopped } : {}) };
}

/** Shrinks to the end (every step, never stopped). */
export function shrink<O extends { retired: number } = RunOutcome>(
  run: (s: Schedule) => O,
  schedule: Schedule,
  outcome: O,
  failure: Failure,
  maxRuns = 300,
  judgeOf: (o: O) => Failure | undefined = judge as unknown as (o: O) => Failure | undefined,
): Shrunk<O> {
  return finish(shrinkSteps(run, schedule, outcome, failure, maxRuns, judgeOf));
}

/** Runs a generator of steps to its end, never asking it to stop. */
export function finish<T>(steps: Generator<void, T, boolean | undefined>): T {
  for (;;) {
    const r = steps.next(false);
    if (r.done) return r.value;
  }
}
