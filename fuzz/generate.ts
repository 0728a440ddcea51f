// Schedules from (campaign seed, k) alone, so a campaign gives the same
// schedule k whatever the number of workers or shards. Biased towards the
// critical sections: most events land on an instruction of a section (or
// the first instruction after it) at a visit the profiling run saw, the
// rest at an instruction count of a thread. 'pct' places a few ordered
// events at random instruction counts (the priority change points of PCT,
// Burckhardt et al.), for bugs that need several events in an order.

import type { Injection } from '../kernel-model/injection.js';
import { SeededRandom } from '../kernel-model/prng.js';
import type { Schedule } from './schedule.js';

export type Strategy = 'random' | 'pct' | 'mixed';
export type EventKind = 'preempt' | 'migrate' | 'signal';

/** What a profiling run learnt about the program. */
export interface Profile {
  /** Per critical section: its instruction addresses (and post_commit_ip last) and how often its start was reached. */
  sections: { index: number; points: number[]; visits: number }[];
  /**
   * Threads that ran: the instructions each retired in the profiling run,
   * and how many it had retired before events may land (the main thread's
   * start-up up to the Runner's start; 0 for the others).
   */
  threads: { tid: number; instructions: number; from: number }[];
  cpus: number;
  /** Signals the program handles (the only ones worth sending). */
  signals: number[];
}

export interface GenerateOptions {
  strategy: Strategy;
  kinds: readonly EventKind[];
}

function pick<T>(r: SeededRandom, list: readonly T[]): T {
  return list[r.nextU32() % list.length];
}

function action(r: SeededRandom, p: Profile, kinds: readonly EventKind[]): Injection['action'] {
  const usable = kinds.filter((k) => (k !== 'signal' || p.signals.length > 0) && (k !== 'migrate' || p.cpus > 1));
  const kind = usable.length > 0 ? pick(r, usable) : 'preempt';
  if (kind === 'migrate') return { kind, cpu: r.nextU32() % p.cpus };
  if (kind === 'signal') return { kind, sig: pick(r, p.signals), scope: 'thread', ifHandled: true };
  return { kind: 'preempt' };
}

function atInstructions(r: SeededRandom, p: Profile): Injection['at'] {
  const t = pick(r, p.threads);
  return { kind: 'instructions', tid: t.tid, count: t.from + 1 + (r.nextU32() % Math.max(1, t.instructions)) };
}

function inSection(r: SeededRandom, p: Profile): Injection['at'] | undefined {
  const visited = p.sections.filter((s) => s.visits > 0);
  if (visited.length === 0) return undefined;
  const s = pick(r, visited);
  return { kind: 'address', address: pick(r, s.points), hit: 1 + (r.nextU32() % s.visits) };
}

/** Schedule k of the campaign seeded `seed`. */
export function scheduleFor(seed: number, k: number, p: Profile, o: GenerateOptions): Schedule {
  const r = new SeededRandom(seed, `schedule ${k}`);
  const strategy = o.strategy === 'mixed' ? (k % 2 === 0 ? 'random' : 'pct') : o.strategy;
  const events: Injection[] = [];
  if (p.threads.length > 0) {
    if (strategy === 'pct') {
      const depth = 1 + (r.nextU32() % 3);
      for (let i = 0; i < depth; i++) events.push({ action: action(r, p, o.kinds), at: atInstructions(r, p) });
    } else {
      const roll = r.nextU32() % 10;
      const n = roll < 6 ? 1 : roll < 9 ? 2 : 3;
      for (let i = 0; i < n; i++) {
        const at = r.nextU32() % 100 < 85 ? inSection(r, p) ?? atInstructions(r, p) : atInstructions(r, p);
        events.push({ action: action(r, p, o.kinds), at });
      }
    }
  }
  return { seed: r.nextU32(), events };
}
