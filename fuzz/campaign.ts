// A fuzzing campaign: profile the program once, then run schedule k for
// k = 0, 1, ... (only this shard's), each from the start-up snapshot, until
// one fails or the budget is spent. The failure with the smallest k is
// shrunk, explained and written as a replay.
//
// The work is split so that it can run on any number of workers (threads
// in Node, Web Workers on the page) with the same answer:
//  - a Campaign (one per worker, synchronous) owns the runners; its
//    runChunk runs a block of consecutive schedules of the shard and returns
//    plain data (how many ran, the coverage points they hit, the first that
//    failed); failureAt(k) shrinks and explains schedule k;
//  - driveCampaign hands blocks to workers in increasing k, tells them when
//    a failure is known (later schedules need not run), and waits for every
//    block below the smallest failing k;
//  - mergeCampaign (pure) turns the blocks into the result: the failure
//    with the smallest k among those run, the schedules counted up to and
//    including it, the coverage of those schedules only.
// Schedule k depends only on (seed, k), and every count above is taken
// over k <= the failing k, so the result does not depend on how many
// workers or shards share the campaign (only a --time limit, which cuts
// where the clock says, makes it depend on speed).
//
// A kernel differential (several kernel profiles): every schedule runs
// under each profile (generated from the first one's profiling run); a
// schedule fails when it fails under any, and when the profiles disagree
// (one passes, another fails, or they fail differently: another failure,
// exit status, signal or set of checker rules) the failure says so, with
// each profile's verdict. Shrinking keeps every profile's verdict.

import type { Cpu } from '../emulator/api.js';
import type { KernelProfileName } from '../kernel-model/kernel-profile.js';
import { explain } from './explain.js';
import { scheduleFor, type EventKind, type Profile, type Strategy } from './generate.js';
import { judge, type Failure, type FailureKind } from './judge.js';
import { makeReplay, type ReplayFile } from './replay-file.js';
import { Runner, type FuzzTarget, type RunOutcome } from './runner.js';
import { encodeSchedule, type Schedule } from './schedule.js';
import { finish, shrinkSteps } from './shrink.js';

export type KernelName = KernelProfileName | 'current';

/** What a campaign is: everything its result depends on (plain data, so a worker can be sent it). */
export interface CampaignSpec {
  target: FuzzTarget;
  /** Kernel profiles every schedule runs under: more than one is a kernel differential. Default [target.kernel]. */
  kernels?: KernelName[];
  seed: number;
  /** Schedules to run (over all shards); default 2000; Infinity with a time limit. */
  schedules?: number;
  strategy?: Strategy;
  events?: readonly EventKind[];
  /** Run only schedules k with k % count === index (index from 0). */
  shard?: { index: number; count: number };
}

export interface FuzzOptions extends CampaignSpec {
  cpu: Cpu;
  /** More CPUs, one per further kernel profile (a machine needs a CPU of its own). */
  newCpu?: () => Promise<Cpu>;
  /** Stop starting new schedules after this many milliseconds of `now()`. */
  timeMs?: number;
  /** The clock for timeMs and rates (never used for a decision inside a run). */
  now?: () => number;
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
  /** Per event kind, which points (indices into the section's instructions, post_commit_ip last). */
  covered: Record<EventKind, number[]>;
}

/** What one schedule did under one kernel profile. */
export interface KernelVerdict {
  kernel: string;
  /** How the run ended, in words: "exited with status 1: <its last line on stderr>", "killed by SIGSEGV: ...". */
  ending: string;
  /** The rules of its rseq ABI checker findings, each once, in order. */
  findings: string[];
  /** The judge's failure; absent when the run passed. */
  failure?: { kind: FailureKind; class: string; summary: string };
}

export interface FuzzFailure {
  /** The schedule number in the campaign (-1: the program fails with no injected event). */
  k: number;
  kind: Failure['kind'];
  summary: string;
  /** The shrunk schedule (compact text) and the one that failed first. */
  schedule: string;
  original: string;
  events: number;
  shrinkRuns: number;
  /** Shrinking was stopped before its end (the page's Stop): `schedule` is the smallest failing one found by then. */
  shrinkStopped?: boolean;
  /** Lines explaining the failure: where each thread was, what rseq did, what the program said. */
  explanation: string[];
  replay: ReplayFile;
  /** Where the CLI wrote the replay file. */
  replayPath?: string;
  /** The kernel profile kind, summary, explanation and replay are from (with several, the first under which it fails). */
  kernel?: string;
  /** With several kernel profiles: what the shrunk schedule does under each. */
  verdicts?: KernelVerdict[];
  /** With several kernel profiles that disagree: one line saying how (the finding of a kernel differential). */
  difference?: string;
}

export interface FuzzResult {
  program: { path: string; sha256: string };
  args: string[];
  seed: number;
  strategy: Strategy;
  events: EventKind[];
  cpus: number;
  /** The (first) kernel profile. */
  kernel: string;
  /** Every kernel profile each schedule ran under (one, or a differential). */
  kernels: string[];
  /** The slice of the campaign this result covers (index from 0), when it was sharded. */
  shard?: { index: number; count: number };
  /** Schedules the whole campaign was given (all shards); null when only a time limit bounds it. */
  schedulesRequested: number | null;
  /** Findings about the program itself (static checks at load). */
  staticFindings: string[];
  /** Schedules run: with a failure, this shard's schedules up to and including the failing one. */
  schedules: number;
  /** Why the campaign ended. */
  stoppedBy: 'failure' | 'schedules' | 'time';
  startupInstructions: number;
  coverage: { covered: number; coverable: number; sections: SectionCoverage[] };
  failure?: FuzzFailure;
}

const ALL_KINDS: EventKind[] = ['preempt', 'migrate', 'signal'];

/** Runs the profiling run: visits of every section start, threads and their instructions, handled signals. */
export function profile(runner: Runner, seed: number): { profile: Profile; outcome: RunOutcome } {
  const huge = 2 ** 30;
  const points = runner.sections.map((s) => sectionPoints(runner, s.start, s.postCommit));
  const perThread = new Map<number, number>();
  // Observed from the registration on (Runner.run), so every quantum is counted.
  const outcome = runner.run({ seed, events: runner.sections.map((s) => ({ action: { kind: 'preempt' as const }, at: { kind: 'address' as const, address: s.start, hit: huge } })) }, (e) => {
    if (e.kind === 'run') perThread.set(e.tid, (perThread.get(e.tid) ?? 0) + e.retired);
  });
  const visits = new Map(outcome.unfired.map((u) => [u.address, u.hits]));
  return {
    outcome,
    profile: {
      sections: runner.sections.map((s, index) => ({ index, points: points[index], visits: visits.get(s.start) ?? 0 })),
      threads: [...perThread].map(([tid, instructions]) => eventRange(runner, tid, instructions)).sort((a, b) => a.tid - b.tid),
      cpus: runner.target.cpus,
      signals: runner.handledSignals(),
    },
  };
}

/**
 * Where instruction-count events of a thread may land: after the
 * instructions it had run when events can first fire (the main thread's
 * start-up up to the Runner's later start), over the rest of what it ran in
 * the profiling run (which counted from the registration).
 */
function eventRange(runner: Runner, tid: number, instructions: number): Profile['threads'][number] {
  if (tid !== runner.machine.task.tid) return { tid, instructions, from: 0 };
  const from = runner.firstEventInstructions;
  return { tid, instructions: Math.max(1, runner.startupInstructions + instructions - from), from };
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
  // Web Crypto: Node's global, and a browser's only in a secure context (a page served over plain http from another host has none).
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('SHA-256 needs Web Crypto, which a browser gives only to pages served over https or from localhost');
  const digest = await subtle.digest('SHA-256', new Uint8Array(bytes));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// ---------------------------------------------------------------------------
// Verdicts (one run under one kernel profile), for the differential.

function ending(o: RunOutcome): string {
  if (o.kind === 'exited') {
    const said = o.stderr.trim().split('\n').filter(Boolean).at(-1);
    return `exited with status ${o.exitCode}${o.exitCode !== 0 && said ? `: ${said}` : ''}`;
  }
  if (o.kind === 'killed') return `killed by ${o.signal}${o.message ? `: ${o.message}` : ''}`;
  return judge(o)?.summary ?? o.kind;
}

export function verdictOf(kernel: string, o: RunOutcome): KernelVerdict {
  const f = judge(o);
  return {
    kernel,
    ending: ending(o),
    findings: [...new Set(o.findings.map((x) => x.rule))],
    ...(f ? { failure: { kind: f.kind, class: f.class, summary: f.summary } } : {}),
  };
}

/** What must be equal for two profiles to agree: the failure class, the ending and the checker rules. */
function signature(v: KernelVerdict): string {
  return `${v.failure?.class ?? 'pass'}; ${v.ending}; ${v.findings.join(',')}`;
}

/** The verdicts in one line, e.g. "6.19: exited with status 1: ...; 7.0: exited with status 0 (rseq ABI findings: ...)". */
export function describeVerdict(v: KernelVerdict): string {
  const findings = v.findings.length > 0 ? ` (rseq ABI finding${v.findings.length === 1 ? '' : 's'}: ${v.findings.join(', ')})` : '';
  return `${v.kernel}: ${v.failure ? 'fails' : 'passes'}: ${v.ending}${findings}`;
}

/** True when the profiles do not all do the same. */
export function verdictsDiffer(vs: readonly KernelVerdict[]): boolean {
  return new Set(vs.map(signature)).size > 1;
}

// ---------------------------------------------------------------------------
// The per-worker part.

/** A block of schedules: k = from, from + step, ... (count of them). */
export interface ChunkSpec {
  from: number;
  step: number;
  count: number;
}

/** What a block did (plain data). */
export interface ChunkResult extends ChunkSpec {
  /** Schedules run: the first `ran` of the block (it stops at its first failure, or when told to). */
  ran: number;
  /** Coverage points hit (ids: (point of all sections in order) * 3 + event kind index). */
  hits: number[];
  /** Its first failing schedule, with the verdict under each kernel profile. */
  failure?: { k: number; verdicts: KernelVerdict[] };
}

/** What every worker of a campaign learns the same way at the start (plain data). */
export interface CampaignHeader {
  program: { path: string; sha256: string };
  kernels: string[];
  staticFindings: string[];
  startupInstructions: number;
  sections: { symbol: string; start: number; points: number }[];
  coverable: number;
  /** The program fails with no injected event at all: that is the failure (k = -1), no schedule runs. */
  plain?: { k: -1; verdicts: KernelVerdict[] };
}

interface Lane {
  kernel: KernelName;
  target: FuzzTarget;
  runner: Runner;
}

interface MultiOutcome {
  retired: number;
  outcomes: RunOutcome[];
}

export class Campaign {
  private constructor(
    readonly spec: CampaignSpec,
    readonly header: CampaignHeader,
    private readonly lanes: Lane[],
    private readonly profile: Profile,
    private readonly kinds: EventKind[],
    /** Coverage ids of every point address (a post_commit_ip may also start another section). */
    private readonly pointIds: Map<number, number[]>,
  ) {}

  /** Prepares the runners (one per kernel profile, each on its own CPU) and profiles the program. */
  static async create(spec: CampaignSpec, cpus: readonly Cpu[]): Promise<Campaign> {
    const kernels = spec.kernels ?? [spec.target.kernel];
    if (kernels.length === 0) throw new RangeError('a campaign needs a kernel profile');
    if (cpus.length < kernels.length) throw new RangeError(`${kernels.length} kernel profiles need ${kernels.length} CPUs, got ${cpus.length}`);
    const kinds = [...(spec.events ?? ALL_KINDS)];
    const lanes: Lane[] = [];
    const profiles: Profile[] = [];
    const bases: RunOutcome[] = [];
    for (const [i, kernel] of kernels.entries()) {
      const target = { ...spec.target, kernel };
      const runner = Runner.create(target, cpus[i]);
      const { profile: p, outcome: base } = profile(runner, spec.seed);
      // A run 20 times longer than the profiling run counts as a hang.
      runner.budget = Math.min(target.maxInstructions, Math.max(2_000_000, 20 * base.retired));
      lanes.push({ kernel, target, runner });
      profiles.push(p);
      bases.push(base);
    }
    const p = profiles[0];
    const first = lanes[0].runner;
    const usable = kinds.filter((k) => (k !== 'signal' || p.signals.length > 0) && (k !== 'migrate' || p.cpus > 1)).length;
    const pointIds = new Map<number, number[]>();
    let base = 0;
    const sections = first.sections.map((s, i) => {
      const points = p.sections[i].points;
      points.forEach((address, j) => {
        const ids = pointIds.get(address) ?? [];
        ids.push((base + j) * 3);
        pointIds.set(address, ids);
      });
      base += points.length;
      return { symbol: s.symbol ?? `0x${s.start.toString(16)}`, start: s.start, points: points.length };
    });
    const header: CampaignHeader = {
      program: { path: spec.target.path, sha256: await sha256(spec.target.program) },
      kernels: [...kernels],
      staticFindings: [...new Set(lanes.flatMap((l) => l.runner.staticFindings().map((f) => `${f.rule}: ${f.detail}`)))],
      startupInstructions: first.startupInstructions,
      sections,
      coverable: sections.reduce((n, s) => n + s.points * usable, 0),
    };
    const c = new Campaign(spec, header, lanes, p, kinds, pointIds);
    if (bases.some((b) => judge(b))) {
      // It may fail without any help: then that is the failure, with no event at all.
      const outs = c.runAll(c.scheduleOf(-1));
      if (outs.some((o) => judge(o))) header.plain = { k: -1, verdicts: c.verdicts(outs) };
    }
    return c;
  }

  /** Schedule k of the campaign (k = -1: no event, the campaign's scheduler seed). */
  scheduleOf(k: number): Schedule {
    if (k < 0) return { seed: this.spec.seed, events: [] };
    return scheduleFor(this.spec.seed, k, this.profile, { strategy: this.spec.strategy ?? 'mixed', kinds: this.kinds });
  }

  private runAll(s: Schedule): RunOutcome[] {
    return this.lanes.map((l) => l.runner.run(s));
  }

  private verdicts(outs: readonly RunOutcome[]): KernelVerdict[] {
    return outs.map((o, i) => verdictOf(this.lanes[i].kernel, o));
  }

  private record(out: RunOutcome, hits: Set<number>): void {
    for (const f of out.fired) {
      const ids = this.pointIds.get(Number(f.rip));
      if (!ids) continue;
      const kind = ALL_KINDS.indexOf(f.what.split(' ')[0] as EventKind);
      if (kind >= 0) for (const id of ids) hits.add(id + kind);
    }
  }

  /** Runs a block of schedules in order until one fails or `stop(k)` says to stop before k. */
  runChunk(chunk: ChunkSpec, stop?: (k: number) => boolean): ChunkResult {
    const hits = new Set<number>();
    let ran = 0;
    let failure: ChunkResult['failure'];
    for (let i = 0; i < chunk.count; i++) {
      const k = chunk.from + chunk.step * i;
      if (stop?.(k)) break;
      const outs = this.runAll(this.scheduleOf(k));
      ran++;
      for (const o of outs) this.record(o, hits);
      if (outs.some((o) => judge(o))) {
        failure = { k, verdicts: this.verdicts(outs) };
        break;
      }
    }
    return { ...chunk, ran, hits: [...hits].sort((a, b) => a - b), ...(failure ? { failure } : {}) };
  }

  /** Shrinks and explains the failing schedule k (the same answer on every worker). */
  failureAt(k: number): FuzzFailure {
    return finish(this.failureSteps(k));
  }

  /**
   * failureAt as steps (fuzz/shrink.ts's shrinkSteps): next(true) stops the
   * shrink, and the failure is then the smallest failing schedule found so
   * far, explained as usual and marked shrinkStopped.
   */
  *failureSteps(k: number): Generator<void, FuzzFailure, boolean | undefined> {
    const s = this.scheduleOf(k);
    const sha = this.header.program.sha256;
    if (this.lanes.length === 1) {
      const { runner, target, kernel } = this.lanes[0];
      const out = runner.run(s);
      const f = judge(out);
      if (!f) throw new Error(`schedule ${k} did not fail when run again`);
      const shrunk = yield* shrinkSteps((x) => runner.run(x), s, out, f);
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
        replay: makeReplay(target, sha, code, shrunk.failure),
        kernel,
        ...(shrunk.stopped ? { shrinkStopped: true } : {}),
      };
    }
    // A differential: shrinking keeps every profile's verdict.
    const judgeAll = (m: MultiOutcome): Failure | undefined => {
      const vs = this.verdicts(m.outcomes);
      const shown = vs.find((v) => v.failure);
      if (!shown) return undefined;
      return { kind: shown.failure!.kind, class: vs.map(signature).join(' | '), summary: shown.failure!.summary };
    };
    const runAll = (x: Schedule): MultiOutcome => {
      const outcomes = this.runAll(x);
      return { retired: outcomes.reduce((n, o) => n + o.retired, 0), outcomes };
    };
    const first = runAll(s);
    const f = judgeAll(first);
    if (!f) throw new Error(`schedule ${k} did not fail when run again`);
    const shrunk = yield* shrinkSteps(runAll, s, first, f, 300, judgeAll);
    const verdicts = this.verdicts(shrunk.outcome.outcomes);
    const i = verdicts.findIndex((v) => v.failure);
    const { runner, target, kernel } = this.lanes[i];
    const out = shrunk.outcome.outcomes[i];
    const failure = judge(out)!;
    const code = encodeSchedule(shrunk.schedule);
    const differ = verdictsDiffer(verdicts);
    const explanation = explain(runner, shrunk.schedule, out, failure);
    explanation.splice(explanation.length - 1, 0, ...verdicts.map((v) => `kernel ${describeVerdict(v)}`));
    if (differ) explanation.splice(explanation.length - 1, 0, 'the kernel profiles disagree on this schedule');
    return {
      k,
      kind: failure.kind,
      summary: failure.summary,
      schedule: code,
      original: encodeSchedule(s),
      events: shrunk.schedule.events.length,
      shrinkRuns: shrunk.runs,
      explanation,
      replay: makeReplay(target, sha, code, failure),
      kernel,
      verdicts,
      ...(shrunk.stopped ? { shrinkStopped: true } : {}),
      ...(differ ? { difference: verdicts.map(describeVerdict).join('; ') } : {}),
    };
  }
}

// ---------------------------------------------------------------------------
// Driving workers, and the pure merge.

/** A worker as the driver sees it: a Campaign in this thread, or one in another. */
export interface CampaignWorker {
  runChunk(chunk: ChunkSpec): Promise<ChunkResult>;
  /** A failure at schedule k is known: the worker may skip schedules after k. */
  limit(k: number): void;
}

export interface DriveOptions {
  timeMs?: number;
  now?: () => number;
  onProgress?: (p: FuzzProgress) => void;
  /** Schedules per block (default 16; the result does not depend on it). */
  chunkSize?: number;
}

export interface Drive {
  chunks: ChunkResult[];
  /** Blocks were left unstarted because the time limit passed. */
  timedOut: boolean;
}

/** Schedules of the shard: k = index + count * j for j < this. */
export function shardLength(spec: CampaignSpec): number {
  const total = spec.schedules ?? 2000;
  const { index, count } = spec.shard ?? { index: 0, count: 1 };
  return total === Infinity ? Infinity : Math.max(0, Math.ceil((total - index) / count));
}

/** How many blocks a campaign has at most (to start no more workers than that). */
export function chunkCount(spec: CampaignSpec, chunkSize = 16): number {
  return Math.ceil(shardLength(spec) / chunkSize);
}

/** Hands the shard's schedules to the workers in blocks, in increasing k, until a failure or the budget. */
export async function driveCampaign(spec: CampaignSpec, header: CampaignHeader, workers: readonly CampaignWorker[], o: DriveOptions = {}): Promise<Drive> {
  const chunks: ChunkResult[] = [];
  if (header.plain) return { chunks, timedOut: false };
  const now = o.now ?? (() => 0);
  const began = now();
  const size = o.chunkSize ?? 16;
  const length = shardLength(spec);
  const { index, count } = spec.shard ?? { index: 0, count: 1 };
  let next = 0;
  let best = Infinity;
  let timedOut = false;
  let schedules = 0;
  let failures = 0;
  const covered = new Set<number>();
  let lastReport = began;
  const loop = async (w: CampaignWorker) => {
    for (;;) {
      if (next >= length) return;
      const from = index + count * next;
      if (from > best) return;
      if (o.timeMs !== undefined && now() - began >= o.timeMs) {
        timedOut = true;
        return;
      }
      const n = Math.min(size, length - next);
      next += n;
      const r = await w.runChunk({ from, step: count, count: n });
      chunks.push(r);
      schedules += r.ran;
      for (const h of r.hits) covered.add(h);
      if (r.failure) {
        failures++;
        if (r.failure.k < best) {
          best = r.failure.k;
          for (const x of workers) x.limit(best);
        }
      }
      if (o.onProgress && (now() - lastReport >= 200 || r.failure)) {
        lastReport = now();
        const secs = Math.max(1e-3, (lastReport - began) / 1000);
        o.onProgress({ schedules, perSecond: schedules / secs, covered: covered.size, coverable: header.coverable, failures });
      }
    }
  };
  await Promise.all(workers.map(loop));
  chunks.sort((a, b) => a.from - b.from);
  return { chunks, timedOut };
}

/** The failing schedule the campaign reports: the smallest k that failed. */
export function failingSchedule(header: CampaignHeader, chunks: readonly ChunkResult[]): number | undefined {
  if (header.plain) return -1;
  let k: number | undefined;
  for (const c of chunks) if (c.failure && (k === undefined || c.failure.k < k)) k = c.failure.k;
  return k;
}

/** Schedules of a block that ran with k <= last. */
function ranUpTo(c: ChunkResult, last: number): number {
  if (last < c.from) return 0;
  return Math.min(c.ran, Math.floor((last - c.from) / c.step) + 1);
}

function sectionCoverage(header: CampaignHeader, ids: Iterable<number>): FuzzResult['coverage'] {
  const bases: number[] = [];
  let base = 0;
  for (const s of header.sections) {
    bases.push(base);
    base += s.points;
  }
  const sections: SectionCoverage[] = header.sections.map((s) => ({ symbol: s.symbol, start: s.start, points: s.points, hit: { preempt: 0, migrate: 0, signal: 0 }, covered: { preempt: [], migrate: [], signal: [] } }));
  let covered = 0;
  for (const id of [...new Set(ids)].sort((a, b) => a - b)) {
    const point = Math.floor(id / 3);
    const kind = ALL_KINDS[id % 3];
    // The section whose points include it (the last base at or below it).
    let s = bases.length - 1;
    while (s > 0 && bases[s] > point) s--;
    if (s < 0) continue;
    sections[s].covered[kind].push(point - bases[s]);
    sections[s].hit[kind]++;
    covered++;
  }
  return { covered, coverable: header.coverable, sections };
}

/** The campaign's result from its blocks (pure: the same blocks give the same result in any order). */
export function mergeCampaign(spec: CampaignSpec, header: CampaignHeader, drive: Drive, failure?: FuzzFailure): FuzzResult {
  const k = failingSchedule(header, drive.chunks);
  const kept = k === undefined ? drive.chunks : drive.chunks.filter((c) => c.from <= k);
  const schedules = kept.reduce((n, c) => n + (k === undefined ? c.ran : ranUpTo(c, k)), 0);
  const total = spec.schedules ?? 2000;
  const shard = spec.shard && spec.shard.count > 1 ? { index: spec.shard.index, count: spec.shard.count } : undefined;
  return {
    program: header.program,
    args: spec.target.args,
    seed: spec.seed,
    strategy: spec.strategy ?? 'mixed',
    events: [...(spec.events ?? ALL_KINDS)],
    cpus: spec.target.cpus,
    kernel: header.kernels[0],
    kernels: header.kernels,
    ...(shard ? { shard } : {}),
    schedulesRequested: total === Infinity ? null : total,
    staticFindings: header.staticFindings,
    schedules,
    stoppedBy: k !== undefined ? 'failure' : drive.timedOut || drive.chunks.some((c) => c.ran < c.count) ? 'time' : 'schedules',
    startupInstructions: header.startupInstructions,
    coverage: sectionCoverage(header, kept.flatMap((c) => c.hits)),
    ...(failure ? { failure } : {}),
  };
}

/** A campaign in this thread: one Campaign, driven in blocks like the workers' (the same result). */
export async function fuzz(o: FuzzOptions): Promise<FuzzResult> {
  const now = o.now ?? (() => 0);
  const kernels = o.kernels ?? [o.target.kernel];
  const cpus = [o.cpu];
  for (let i = 1; i < kernels.length; i++) {
    if (!o.newCpu) throw new RangeError('fuzz: several kernel profiles need newCpu() (a CPU for each)');
    cpus.push(await o.newCpu());
  }
  const c = await Campaign.create(o, cpus);
  const began = now();
  let limit = Infinity;
  const stop = (k: number) => k > limit || (o.timeMs !== undefined && now() - began >= o.timeMs);
  const worker: CampaignWorker = {
    runChunk: async (chunk) => c.runChunk(chunk, stop),
    limit: (k) => void (limit = Math.min(limit, k)),
  };
  const drive = await driveCampaign(o, c.header, [worker], { timeMs: o.timeMs, now, onProgress: o.onProgress });
  const k = failingSchedule(c.header, drive.chunks);
  return mergeCampaign(o, c.header, drive, k !== undefined ? c.failureAt(k) : undefined);
}

/** Schedules of shard `shard` with k <= last (and k < total). */
function shardCountUpTo(shard: { index: number; count: number }, last: number, total: number | null): number {
  const top = Math.min(last, total === null ? Infinity : total - 1);
  return top < shard.index ? 0 : Math.floor((top - shard.index) / shard.count) + 1;
}

/**
 * Merges the results of all n shards of one campaign (--shard 1/n ... n/n)
 * into the result of the whole campaign: the failure with the smallest k,
 * the schedules up to and including it, the coverage united. Without a
 * failure (and without a time limit) this is exactly what one unsharded run
 * gives; with one, each shard's coverage counts its schedules up to its own
 * stop, so the union may hold a few points more than one run that stopped
 * at the failure.
 */
export function mergeShards(parts: readonly FuzzResult[]): FuzzResult {
  if (parts.length === 0) throw new RangeError('mergeShards: no results to merge');
  const a = parts[0];
  const n = a.shard?.count ?? 1;
  const same = (r: FuzzResult) => JSON.stringify([r.program.sha256, r.args, r.seed, r.strategy, r.events, r.cpus, r.kernels, r.schedulesRequested, r.shard?.count ?? 1]);
  for (const r of parts) {
    if (same(r) !== same(a)) throw new RangeError('mergeShards: the results are not of one campaign (program, arguments, seed, strategy, events, CPUs, kernels, schedules and shard count must agree)');
  }
  const indices = new Set(parts.map((r) => r.shard?.index ?? 0));
  if (parts.length !== n || indices.size !== n) throw new RangeError(`mergeShards: need each of the ${n} shards once, got ${[...parts].map((r) => (r.shard?.index ?? 0) + 1).join(', ')} of ${n}`);
  let failure: FuzzFailure | undefined;
  for (const r of parts) if (r.failure && (!failure || r.failure.k < failure.k)) failure = r.failure;
  const k = failure?.k;
  const schedules = parts.reduce((sum, r) => {
    if (k === undefined || r.failure?.k === k) return sum + r.schedules;
    return sum + Math.min(r.schedules, shardCountUpTo(r.shard ?? { index: 0, count: 1 }, k, r.schedulesRequested));
  }, 0);
  const sections = a.coverage.sections.map((s, i) => {
    const covered = Object.fromEntries(ALL_KINDS.map((kind) => [kind, [...new Set(parts.flatMap((r) => r.coverage.sections[i]?.covered[kind] ?? []))].sort((x, y) => x - y)])) as Record<EventKind, number[]>;
    return { ...s, hit: { preempt: covered.preempt.length, migrate: covered.migrate.length, signal: covered.signal.length }, covered };
  });
  const merged: FuzzResult = {
    ...a,
    schedules,
    stoppedBy: failure ? 'failure' : parts.some((r) => r.stoppedBy === 'time') ? 'time' : 'schedules',
    coverage: { covered: sections.reduce((x, s) => x + s.hit.preempt + s.hit.migrate + s.hit.signal, 0), coverable: a.coverage.coverable, sections },
  };
  delete merged.shard;
  delete merged.failure;
  if (failure) merged.failure = failure;
  return merged;
}
