// Systematic exploration (rseqlab explore): instead of random schedules,
// every critical section the program lists, every instruction of it, the
// first address after it (post_commit_ip) and the last few instructions
// before it in its function (where the thread already holds the CPU number
// the section will trust; none inside another section), and every event kind (preempt, migrate to
// another vCPU, a signal the program handles) get runs in which that event
// lands exactly there.
//
// Where in the run: each point is profiled by a run of its own that counts
// how often the point is reached (all threads together), with only that
// point armed. Every run uses that run's scheduler seed and arms the same
// address, so up to the injected event it is the profiling run instruction
// for instruction: the h-th visit exists exactly when h is at most the
// count, and a single event always lands (a signal only if the program
// handles it at that moment: ifHandled). Each point is tried at `hits`
// visits spread evenly over the run: with the default 3, the first, the
// middle and the last, so the event lands before the other threads have
// touched the per-CPU data, while they all run, and near the end; with more
// threads than vCPUs, the threads sharing the vCPU run on its data while
// the preempted one is off it. Sections whose start the profiling run
// never reached, and points it never reached, are not tried (nothing can
// land there).
//
// Preemption bounding: at most `bound` injected events per run. Bound 1
// runs every (point, kind, visit) above. Each further level k runs
// combinations of k distinct (point, kind) units: all of them when there are
// at most `combinations`, otherwise that many distinct ones drawn from the
// seed. The events of one combination use the same spread index (each at
// its own point's first, middle or last visit, drawn from the seed), so
// they land close together in the run; with several points armed the run
// is no longer the profiling run before the events, so one may not fire
// (the coverage counts only events that did).
//
// A migration goes to another vCPU: the next one after the vCPU the thread
// was on at that visit, which the preemption run at the same point and
// visit showed (the same prefix); without one, vCPU 1 first, and when the
// thread sat on it already the run is made again with the next one.
//
// After the event, the thread's next critical section runs one instruction
// at a time with the other busy vCPUs running between its instructions
// (the Runner's machines step sections: MachineOptions.stepSectionAfterInjection),
// so a section that trusts a stale CPU number meets the thread on that CPU
// in the very run whose event moved it.
//
// Every run is judged like a fuzzing run (judge.ts); the first failure is
// shrunk, explained and turned into a replay file. Browser-safe: no Node.

import type { Cpu } from '../emulator/api.js';
import type { Injection } from '../kernel-model/injection.js';
import { describeInjection } from '../kernel-model/injection.js';
import { SeededRandom } from '../kernel-model/prng.js';
import { sectionIndexAt } from '../kernel-model/elf-rseq.js';
import { profile, sha256, type FuzzFailure } from './campaign.js';
import { explain } from './explain.js';
import type { EventKind } from './generate.js';
import { judge, type Failure } from './judge.js';
import { makeReplay } from './replay-file.js';
import { Runner, type FuzzTarget, type RunOutcome } from './runner.js';
import { encodeSchedule, type Schedule } from './schedule.js';
import { shrink } from './shrink.js';

export interface ExploreOptions {
  target: FuzzTarget;
  cpu: Cpu;
  /** The scheduler seed of every run (and of the combinations drawn above bound 1). */
  seed: number;
  /** Event kinds (default all three; migrations need 2 vCPUs, signals a handler). */
  events?: readonly EventKind[];
  /** At most this many injected events per run (1 to 4; default 1). */
  bound?: number;
  /** Visits per point, spread evenly from the first to the last (default 3: first, middle, last). */
  hits?: number;
  /** Instructions before each section's start (in its function) explored too (default 8; 0: none). */
  before?: number;
  /** Runs per bound level above 1 (default 1000): all combinations if there are no more, else a sample. */
  combinations?: number;
  /** The clock for the progress rate (never used for a decision). */
  now?: () => number;
  onProgress?: (p: ExploreProgress) => void;
}

export interface ExploreProgress {
  runs: number;
  /** Runs planned in all (without migration retries). */
  planned: number;
  perSecond: number;
  /** (point, kind) units an event fired on so far, and how many were tried. */
  fired: number;
  tried: number;
  failures: number;
}

export interface ExploreKindCoverage {
  /** Points (before, inside and just after the section) a run put an event of this kind on. */
  tried: number;
  /** Points where it fired (a signal skipped because it was not handled then does not count, a migration only to another vCPU). */
  fired: number;
}

export interface ExploreSection {
  index: number;
  symbol: string;
  start: number;
  postCommit: number;
  /** Instructions of [start, post_commit_ip) plus post_commit_ip. */
  points: number;
  /** Instructions before start explored with them (the last ones of its function). */
  before: number;
  /** Of points and before, how many the profiling runs reached (only those are tried). */
  reached: number;
  /** Times the profiling run reached the section's first instruction. */
  visits: number;
  /** Per event kind explored. */
  kinds: Partial<Record<EventKind, ExploreKindCoverage>>;
  /** Runs in which at least one thread aborted out of this section. */
  abortedRuns: number;
}

export interface ExploreLevel {
  /** Injected events per run at this level. */
  events: number;
  /** Level 1: the (point, kind, visit) runs; above: distinct combinations of that many (point, kind) units. */
  possible: number;
  planned: number;
  /** Runs made at this level (a migration's second try is a run of its own). */
  runs: number;
  /** Fewer planned than possible: a sample drawn from the seed. */
  sampled: boolean;
}

export interface ExploreResult {
  mode: 'explore';
  program: { path: string; sha256: string };
  args: string[];
  seed: number;
  /** Event kinds explored, and the ones asked for that cannot happen, with why. */
  events: EventKind[];
  unusable: { kind: EventKind; reason: string }[];
  /** The signal sent for 'signal' (the lowest the program handles). */
  signal?: number;
  cpus: number;
  kernel: string;
  bound: number;
  hits: number;
  before: number;
  combinations: number;
  staticFindings: string[];
  startupInstructions: number;
  /** Profiling runs (visit counts), not counted in runs. */
  profileRuns: number;
  /** Runs made (each migration retry is one), not counting profiling and shrinking. */
  runs: number;
  planned: number;
  levels: ExploreLevel[];
  coverage: { tried: number; fired: number; sections: ExploreSection[] };
  /** The first failure; its k is the index of the failing run in the plan (-1: it fails with no event at all). */
  failure?: FuzzFailure;
}

const ALL_KINDS: EventKind[] = ['preempt', 'migrate', 'signal'];
const NEVER = 2 ** 30;

/** `n` visits spread evenly over 1..visits (deduplicated, ascending): 3 gives the first, the middle and the last. */
export function spreadHits(visits: number, n: number): number[] {
  if (visits <= 0 || n <= 0) return [];
  if (n === 1) return [1];
  const out = new Set<number>();
  for (let i = 0; i < n; i++) out.add(1 + Math.round((i * (visits - 1)) / (n - 1)));
  return [...out].sort((a, b) => a - b);
}

function choose(n: number, k: number): number {
  let c = 1;
  for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
  return Math.round(c);
}

/** All k-subsets of 0..n-1 in lexicographic order. */
function* subsets(n: number, k: number): Generator<number[]> {
  if (k > n) return;
  const idx = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    yield [...idx];
    let i = k - 1;
    while (i >= 0 && idx[i] === n - k + i) i--;
    if (i < 0) return;
    idx[i]++;
    for (let j = i + 1; j < k; j++) idx[j] = idx[j - 1] + 1;
  }
}

/** The last `n` instruction addresses before `start` in the function holding it (none if decoding from its entry does not land on start). */
function approach(runner: Runner, start: number, n: number): number[] {
  if (n <= 0) return [];
  const m = runner.machine;
  const sym = m.symbols.symbolize(start);
  if (!sym || sym.offset === 0) return [];
  const out: number[] = [];
  for (let at = sym.symbol.address; at < start && out.length < 65536;) {
    const d = m.cpu.decode(at);
    if (d.status !== 'ok') return [];
    out.push(at);
    at += d.length;
    if (at > start) return [];
  }
  return out.slice(-n);
}

interface Unit {
  section: number;
  point: number;
  kind: EventKind;
  hits: number[];
}

export async function explore(o: ExploreOptions): Promise<ExploreResult> {
  const now = o.now ?? (() => 0);
  const began = now();
  const bound = o.bound ?? 1;
  if (!Number.isInteger(bound) || bound < 1 || bound > 4) throw new RangeError(`explore: bound ${bound}: 1 to 4 events per run`);
  const nHits = o.hits ?? 3;
  if (!Number.isInteger(nHits) || nHits < 1) throw new RangeError(`explore: hits ${nHits}: at least 1`);
  const nBefore = o.before ?? 8;
  if (!Number.isInteger(nBefore) || nBefore < 0) throw new RangeError(`explore: before ${nBefore}: 0 or more instructions`);
  const cap = o.combinations ?? 1000;
  if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`explore: combinations ${cap}: at least 1`);
  const asked = ALL_KINDS.filter((k) => (o.events ?? ALL_KINDS).includes(k));
  const runner = Runner.create(o.target, o.cpu);
  const seed = o.seed;
  const { profile: p, outcome: base } = profile(runner, seed);
  // A run 20 times longer than the profiling run counts as a hang (as in fuzz).
  runner.budget = Math.min(o.target.maxInstructions, Math.max(2_000_000, 20 * base.retired));

  const unusable: ExploreResult['unusable'] = [];
  const kinds = asked.filter((k) => {
    if (k === 'migrate' && p.cpus < 2) unusable.push({ kind: k, reason: 'one vCPU: nowhere to migrate to' });
    else if (k === 'signal' && p.signals.length === 0) unusable.push({ kind: k, reason: 'the program handles no signal' });
    else return true;
    return false;
  });
  const signal = p.signals[0];

  // Visits of every point of a reached section, each counted by a run arming only that point.
  const sections = runner.sections;
  // The way in: not an address of any section (two sections in one function keep their own points).
  const inSomeSection = (a: number) => sections.some((cs) => a >= cs.start && a <= cs.postCommit);
  const before = p.sections.map((s) => approach(runner, sections[s.index].start, nBefore).filter((a) => !inSomeSection(a)));
  const visits = new Map<number, number>();
  let profileRuns = 1;
  for (const s of p.sections) {
    if (s.visits === 0) continue;
    for (const address of [...before[s.index], ...s.points]) {
      if (visits.has(address)) continue;
      const out = runner.run({ seed, events: [{ action: { kind: 'preempt' }, at: { kind: 'address', address, hit: NEVER } }] });
      profileRuns++;
      visits.set(address, out.unfired[0]?.hits ?? 0);
    }
  }

  const units: Unit[] = [];
  const coverage = p.sections.map((s) => {
    const cs = sections[s.index];
    const all = [...before[s.index], ...s.points];
    const reached = all.filter((a) => (visits.get(a) ?? 0) > 0);
    for (const point of reached) for (const kind of kinds) units.push({ section: s.index, point, kind, hits: spreadHits(visits.get(point)!, nHits) });
    return {
      index: s.index,
      symbol: cs.symbol ?? `0x${cs.start.toString(16)}`,
      start: cs.start,
      postCommit: cs.postCommit,
      points: s.points.length,
      before: before[s.index].length,
      reached: reached.length,
      visits: s.visits,
      tried: Object.fromEntries(kinds.map((k) => [k, new Set<number>()])) as Record<EventKind, Set<number>>,
      fired: Object.fromEntries(kinds.map((k) => [k, new Set<number>()])) as Record<EventKind, Set<number>>,
      abortedRuns: 0,
    };
  });

  // The plan: level 1 every (unit, visit); level k a set of k-unit combinations sharing one spread index.
  const rand = new SeededRandom(seed, 'explore');
  const levels: ExploreLevel[] = [];
  const plan: { level: number; units: Unit[]; spread: number }[] = [];
  const single = units.flatMap((u) => u.hits.map((_, j) => ({ level: 1, units: [u], spread: j })));
  levels.push({ events: 1, possible: single.length, planned: single.length, runs: 0, sampled: false });
  plan.push(...single);
  for (let k = 2; k <= bound; k++) {
    const possible = choose(units.length, k);
    const picked: number[][] = [];
    if (possible <= cap) {
      for (const s of subsets(units.length, k)) picked.push(s);
    } else {
      const r = rand.fork(`level ${k}`);
      const seen = new Set<string>();
      for (let tries = 0; picked.length < cap && tries < cap * 100; tries++) {
        const set = new Set<number>();
        while (set.size < k) set.add(r.nextU32() % units.length);
        const s = [...set].sort((a, b) => a - b);
        const key = s.join(',');
        if (seen.has(key)) continue;
        seen.add(key);
        picked.push(s);
      }
    }
    const r = rand.fork(`level ${k} visits`);
    for (const s of picked) plan.push({ level: k, units: s.map((i) => units[i]), spread: r.nextU32() % nHits });
    levels.push({ events: k, possible, planned: picked.length, runs: 0, sampled: picked.length < possible });
  }

  const program = { path: o.target.path, sha256: await sha256(o.target.program) };
  const result: ExploreResult = {
    mode: 'explore',
    program,
    args: o.target.args,
    seed,
    events: kinds,
    unusable,
    ...(kinds.includes('signal') ? { signal } : {}),
    cpus: o.target.cpus,
    kernel: o.target.kernel,
    bound,
    hits: nHits,
    before: nBefore,
    combinations: cap,
    staticFindings: runner.staticFindings().map((f) => `${f.rule}: ${f.detail}`),
    startupInstructions: runner.startupInstructions,
    profileRuns,
    runs: 0,
    planned: plan.length,
    levels,
    coverage: { tried: 0, fired: 0, sections: [] },
  };

  const fail = (k: number, s: Schedule, out: RunOutcome, f: Failure): FuzzFailure => {
    const shrunk = shrink((x) => runner.run(x), s, out, f);
    const code = encodeSchedule(shrunk.schedule);
    return {
      k,
      kind: shrunk.failure.kind,
      summary: shrunk.failure.summary,
      schedule: code,
      original: encodeSchedule(s),
      events: shrunk.schedule.events.length,
      shrinkRuns: shrunk.runs,
      explanation: explain(runner, shrunk.schedule, shrunk.outcome, shrunk.failure),
      replay: makeReplay(o.target, program.sha256, code, shrunk.failure),
    };
  };

  if (judge(base)) {
    // It fails without any help: that is the failure, with no event at all.
    const plain: Schedule = { seed, events: [] };
    const out = runner.run(plain);
    const f = judge(out);
    if (f) result.failure = fail(-1, plain, out, f);
  }

  const eventOf = (u: Unit, spread: number, cpu: number): Injection => {
    const at = { kind: 'address' as const, address: u.point, hit: u.hits[Math.min(spread, u.hits.length - 1)] };
    if (u.kind === 'migrate') return { action: { kind: 'migrate', cpu }, at };
    if (u.kind === 'signal') return { action: { kind: 'signal', sig: signal, scope: 'thread', ifHandled: true }, at };
    return { action: { kind: 'preempt' }, at };
  };
  // The vCPU a thread was on when the single event at (point, visit) landed: the same in every run of that pair.
  const cpuAt = new Map<string, number>();
  const firstTarget = (u: Unit, spread: number) => {
    const at = cpuAt.get(`${u.point}#${u.hits[Math.min(spread, u.hits.length - 1)]}`);
    return at === undefined ? Math.min(1, p.cpus - 1) : (at + 1) % p.cpus;
  };
  let lastReport = began;
  let tried = 0;
  let firedUnits = 0;
  const report = (force: boolean) => {
    if (!o.onProgress || (!force && now() - lastReport < 200)) return;
    lastReport = now();
    const secs = Math.max(1e-3, (lastReport - began) / 1000);
    o.onProgress({ runs: result.runs, planned: plan.length, perSecond: result.runs / secs, fired: firedUnits, tried, failures: result.failure ? 1 : 0 });
  };

  for (let k = 0; !result.failure && k < plan.length; k++) {
    const item = plan[k];
    const targets = item.units.map((u) => firstTarget(u, item.spread));
    let schedule!: Schedule;
    let out!: RunOutcome;
    let landed: (RunOutcome['fired'][number] | undefined)[] = [];
    // A migration whose thread sat on its target vCPU already is run again with the next vCPU (at most one more try per event).
    for (let attempt = 0; attempt <= item.units.length; attempt++) {
      schedule = { seed, events: item.units.map((u, i) => eventOf(u, item.spread, targets[i])) };
      out = runner.run(schedule);
      result.runs++;
      levels[item.level - 1].runs++;
      const skipped = new Set(out.rseq.filter((e) => e.what === 'inject-skipped').map((e) => Number(/injection (\d+) skipped/.exec(e.detail)?.[1])));
      const fired = schedule.events.map((e) => out.fired.find((f) => f.what === describeInjection(e)));
      if (item.level === 1 && fired[0]) cpuAt.set(`${item.units[0].point}#${schedule.events[0].at.kind === 'address' ? schedule.events[0].at.hit : 0}`, fired[0].cpu);
      landed = fired.map((f) => (f && !skipped.has(f.id) ? f : undefined));
      let again = false;
      if (!judge(out)) {
        item.units.forEach((u, i) => {
          const f = landed[i];
          if (u.kind === 'migrate' && f && f.cpu === targets[i]) {
            targets[i] = (f.cpu + 1) % p.cpus;
            again = true;
          }
        });
      }
      if (!again) break;
    }
    // Coverage: the units tried, and the ones whose event landed (a migration only onto another vCPU).
    item.units.forEach((u, i) => {
      const c = coverage[u.section];
      if (!c.tried[u.kind].has(u.point)) {
        c.tried[u.kind].add(u.point);
        tried++;
      }
      const f = landed[i];
      if (f && (u.kind !== 'migrate' || f.cpu !== targets[i]) && !c.fired[u.kind].has(u.point)) {
        c.fired[u.kind].add(u.point);
        firedUnits++;
      }
    });
    const aborted = new Set<number>();
    for (const e of out.rseq) {
      const m = e.what === 'abort' ? /^abort from (0x[0-9a-f]+)/.exec(e.detail) : null;
      if (!m) continue;
      const ip = parseInt(m[1], 16);
      const i = sectionIndexAt(sections, ip);
      if (i >= 0) aborted.add(i);
    }
    for (const i of aborted) coverage[i].abortedRuns++;
    const f = judge(out);
    if (f) result.failure = fail(k, schedule, out, f);
    report(!!result.failure);
  }
  report(true);

  result.coverage = {
    tried,
    fired: firedUnits,
    sections: coverage.map((c) => ({
      index: c.index,
      symbol: c.symbol,
      start: c.start,
      postCommit: c.postCommit,
      points: c.points,
      before: c.before,
      reached: c.reached,
      visits: c.visits,
      kinds: Object.fromEntries(kinds.map((k) => [k, { tried: c.tried[k].size, fired: c.fired[k].size }])),
      abortedRuns: c.abortedRuns,
    })),
  };
  return result;
}
