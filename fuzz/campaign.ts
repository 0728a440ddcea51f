// A fuzzing campaign: profile the program once, then run schedule k for
// k = 0, 1, ... (only this shard's), each from the start-up snapshot, until
// one fails or the budget is spent. The first failure is shrunk, explained
// and written as a replay. Schedule k depends only on (seed, k), so the
// result does not depend on how many workers or shards share the campaign.

import type { Cpu } from '../emulator/api.js';
import { explain } from './explain.js';
import { scheduleFor, type EventKind, type Profile, type Strategy } from './generate.js';
import { judge, type Failure } from './judge.js';
import { makeReplay, type ReplayFile } from './replay-file.js';
import { Runner, type FuzzTarget, type RunOutcome } from './runner.js';
import { encodeSchedule, type Schedule } from './schedule.js';
import { shrink } from './shrink.js';

export interface FuzzOptions {
  target: FuzzTarget;
  cpu: Cpu;
  seed: number;
  /** Schedules to run (over all shards); default 2000. */
  schedules?: number;
  /** Stop starting new schedules after this many milliseconds of `now()`. */
  timeMs?: number;
  /** The clock for timeMs and rates (never used for a decision inside a run). */
  now?: () => number;
  strategy?: Strategy;
  events?: readonly EventKind[];
  /** Run only schedules k with k % count === index. */
  shard?: { index: number; count: number };
  onProgress?: (p: FuzzProgress) => void;
}

export interface FuzzProgress {
  schedules: number;
  perSecond: number;
  /** (section, point, event kind) triples hit so far, and how many there are. */
  covered: number;
  coverable: number;
  failures: number;
}

export interface SectionCoverage {
  symbol: string;
  start: number;
  points: number;
  /** Per event kind, how many of the points an event of that kind landed on. */
  hit: Record<EventKind, number>;
}

export interface FuzzFailure {
  /** The schedule number in the campaign. */
  k: number;
  kind: Failure['kind'];
  summary: string;
  /** The shrunk schedule (compact text) and the one that failed first. */
  schedule: string;
  original: string;
  events: number;
  shrinkRuns: number;
  /** Lines explaining the failure: where each thread was, what rseq did, what the program said. */
  explanation: string[];
  replay: ReplayFile;
  /** Where the CLI wrote the replay file. */
  replayPath?: string;
}

export interface FuzzResult {
  program: { path: string; sha256: string };
  args: string[];
  seed: number;
  strategy: Strategy;
  events: EventKind[];
  cpus: number;
  kernel: string;
  /** Findings about the program itself (static checks at load). */
  staticFindings: string[];
  schedules: number;
  startupInstructions: number;
  coverage: { covered: number; coverable: number; sections: SectionCoverage[] };
  failure?: FuzzFailure;
}

const ALL_KINDS: EventKind[] = ['preempt', 'migrate', 'signal'];

/** Runs the profiling run: visits of every section start, threads and their instructions, handled signals. */
export function profile(runner: Runner, seed: number): { profile: Profile; outcome: RunOutcome } {
  const m = runner.machine;
  const huge = 2 ** 30;
  const points = runner.sections.map((s) => sectionPoints(runner, s.start, s.postCommit));
  const perThread = new Map<number, number>();
  const off = m.onEvent((e) => {
    if (e.kind === 'run') perThread.set(e.tid, (perThread.get(e.tid) ?? 0) + e.retired);
  });
  let outcome: RunOutcome;
  try {
    outcome = runner.run({ seed, events: runner.sections.map((s) => ({ action: { kind: 'preempt' as const }, at: { kind: 'address' as const, address: s.start, hit: huge } })) });
  } finally {
    off();
  }
  const visits = new Map(outcome.unfired.map((u) => [u.address, u.hits]));
  return {
    outcome,
    profile: {
      sections: runner.sections.map((s, index) => ({ index, points: points[index], visits: visits.get(s.start) ?? 0 })),
      threads: [...perThread].map(([tid, instructions]) => ({ tid, instructions })).sort((a, b) => a.tid - b.tid),
      cpus: runner.target.cpus,
      signals: runner.handledSignals(),
    },
  };
}

/** Every instruction address of [start, postCommit), then postCommit itself. */
function sectionPoints(runner: Runner, start: number, postCommit: number): number[] {
  const out: number[] = [];
  for (let at = start; at < postCommit && out.length < 4096;) {
    const d = runner.machine.cpu.decode(at);
    if (d.status !== 'ok') break;
    out.push(at);
    at += d.length;
  }
  out.push(postCommit);
  return out;
}

export async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new Uint8Array(bytes));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export async function fuzz(o: FuzzOptions): Promise<FuzzResult> {
  const now = o.now ?? (() => 0);
  const began = now();
  const kinds = [...(o.events ?? ALL_KINDS)];
  const strategy = o.strategy ?? 'mixed';
  const total = o.schedules ?? 2000;
  const shard = o.shard ?? { index: 0, count: 1 };
  const runner = Runner.create(o.target, o.cpu);
  const { profile: p, outcome: base } = profile(runner, o.seed);
  // A run 20 times longer than the profiling run counts as a hang.
  runner.budget = Math.min(o.target.maxInstructions, Math.max(2_000_000, 20 * base.retired));
  const coverage = runner.sections.map((s, i) => ({ symbol: s.symbol ?? `0x${s.start.toString(16)}`, start: s.start, points: new Set(p.sections[i].points), hit: { preempt: new Set<number>(), migrate: new Set<number>(), signal: new Set<number>() } }));
  const coverable = coverage.reduce((n, c) => n + c.points.size * kinds.filter((k) => (k !== 'signal' || p.signals.length > 0) && (k !== 'migrate' || p.cpus > 1)).length, 0);
  const program = { path: o.target.path, sha256: await sha256(o.target.program) };
  const result: FuzzResult = {
    program,
    args: o.target.args,
    seed: o.seed,
    strategy,
    events: kinds,
    cpus: o.target.cpus,
    kernel: o.target.kernel,
    staticFindings: runner.staticFindings().map((f) => `${f.rule}: ${f.detail}`),
    schedules: 0,
    startupInstructions: runner.startupInstructions,
    coverage: { covered: 0, coverable, sections: [] },
  };
  let covered = 0;
  const record = (out: RunOutcome) => {
    for (const f of out.fired) {
      const kind = f.what.split(' ')[0] as EventKind;
      for (const c of coverage) {
        const rip = Number(f.rip);
        if (c.points.has(rip) && !c.hit[kind].has(rip)) {
          c.hit[kind].add(rip);
          covered++;
        }
      }
    }
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
    // It may fail without any help: then that is the failure, with no event at all.
    const plain: Schedule = { seed: o.seed, events: [] };
    const out = runner.run(plain);
    const f = judge(out);
    if (f) result.failure = fail(-1, plain, out, f);
  }
  let lastReport = began;
  for (let k = shard.index; !result.failure && k < total; k += shard.count) {
    if (o.timeMs !== undefined && now() - began >= o.timeMs) break;
    const s = scheduleFor(o.seed, k, p, { strategy, kinds });
    const out = runner.run(s);
    result.schedules++;
    record(out);
    const f = judge(out);
    if (f) result.failure = fail(k, s, out, f);
    if (o.onProgress && (now() - lastReport >= 200 || result.failure)) {
      lastReport = now();
      const secs = Math.max(1e-3, (lastReport - began) / 1000);
      o.onProgress({ schedules: result.schedules, perSecond: result.schedules / secs, covered, coverable, failures: result.failure ? 1 : 0 });
    }
  }
  result.coverage = {
    covered,
    coverable,
    sections: coverage.map((c) => ({ symbol: c.symbol, start: c.start, points: c.points.size, hit: { preempt: c.hit.preempt.size, migrate: c.hit.migrate.size, signal: c.hit.signal.size } })),
  };
  return result;
}
