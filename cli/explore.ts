// `rseqlab explore`: the command-line face of fuzz/explore.ts. Prints the
// coverage table (one row per critical section: its points and, per event
// kind, points tried / points where the event landed, and the runs that
// aborted it) on stdout, or the result as JSON with --json; a summary and,
// for a failure, its explanation on stderr; writes the failure's replay
// file to --out; draws a live progress line on a terminal. Exit status 0
// (nothing failed), 1 (a failure, or a rule the program breaks statically)
// or 2 (usage or input errors).

import { basename } from 'node:path';
import type { Cpu } from '../emulator/api.js';
import { explore, type ExploreResult } from '../fuzz/explore.js';
import type { EventKind } from '../fuzz/generate.js';
import { KERNEL_PROFILE_NAMES, type KernelProfileName } from '../kernel-model/kernel-profile.js';
import { parseCount } from './args.js';
import { InputError, UsageError } from './errors.js';
import { loadTarget } from './fuzz.js';
import { saveReplay } from './fuzz-workers.js';
import { EVENT_KINDS, parseCpus, parseEventKinds, parseKernel, scanOptions } from './options.js';
import type { CliIo } from './run.js';

export const EXPLORE_HELP = `usage: rseqlab explore [options] <program> [args...]

Systematic mode: for every rseq critical section the program lists, every
instruction in it, the first address after it (post_commit_ip) and the last
instructions before it in its function, and every event kind, runs the
program with that event landing exactly there, at the first, middle and
last time a thread reaches the point (all threads run; with more threads
than vCPUs the others use the vCPU's data while the preempted one is off
it). At most --bound events per run. Each run is checked like a fuzzing run
(exit status, fatal signal, rseq ABI findings, deadlock, instruction
budget); the first failure is shrunk, explained and written as a replay
file. Prints the coverage table: per section and event kind, points tried /
points where the event landed, and how many runs aborted the section.

options:
  --cpus N               virtual CPUs (default 2)
  --seed S               scheduler seed of every run, and of sampled combinations (default 1)
  --events LIST          event kinds, comma-separated: preempt,migrate,signal (default all;
                         migrations go to another vCPU, signals only ones the program handles)
  --bound B              at most B injected events per run (1 to 4, default 1); with B > 1
                         also runs combinations of B distinct (point, kind) events
  --combinations N       runs per bound level above 1 (default 1000): every combination
                         when there are no more, else N drawn from --seed
  --hits N               visits of each point to try, spread from the first to the last
                         (default 3: first, middle, last)
  --before N             instructions before each section (in its function) explored too
                         (default 8, 0: none)
  --kernel V             kernel profile (${KERNEL_PROFILE_NAMES.join(' | ')}; default current)
  --debug-rseq           checker findings kill, as on a CONFIG_DEBUG_RSEQ kernel
  --max-instructions N   budget of one run (default 200000000)
  --out DIR              write the failure's replay file there (default: the current directory)
  --json                 print the result as JSON on stdout instead of the table
exit status: 0 nothing failed, 1 a failure was found (or the program breaks an rseq ABI
rule statically), 2 usage or input errors (also: no critical section to explore).
`;

interface ExploreArguments {
  program: string;
  args: string[];
  cpus: number;
  seed: number;
  events: EventKind[];
  bound: number;
  combinations: number;
  hits: number;
  before: number;
  kernel: KernelProfileName | 'current';
  debugRseq: boolean;
  maxInstructions: number;
  out: string;
  json: boolean;
  help: boolean;
}

function parseExploreArguments(argv: readonly string[]): ExploreArguments {
  const out: ExploreArguments = {
    program: '', args: [], cpus: 2, seed: 1, events: [...EVENT_KINDS], bound: 1, combinations: 1000, hits: 3, before: 8,
    kernel: 'current', debugRseq: false, maxInstructions: 200_000_000, out: '.', json: false, help: false,
  };
  const i = scanOptions(argv, (name, value) => {
    switch (name) {
      case '-h': case '--help': out.help = true; break;
      case '--cpus': out.cpus = parseCpus(name, value()); break;
      case '--seed': out.seed = parseCount(name, value(), true); break;
      case '--events': out.events = parseEventKinds(value()); break;
      case '--bound': {
        out.bound = parseCount(name, value());
        if (out.bound > 4) throw new UsageError(`--bound ${out.bound}: 1 to 4 events per run`);
        break;
      }
      case '--combinations': out.combinations = parseCount(name, value()); break;
      case '--hits': {
        out.hits = parseCount(name, value());
        if (out.hits > 1000) throw new UsageError(`--hits ${out.hits}: at most 1000 visits per point`);
        break;
      }
      case '--before': out.before = parseCount(name, value(), true); break;
      case '--kernel': out.kernel = parseKernel(value()); break;
      case '--debug-rseq': out.debugRseq = true; break;
      case '--max-instructions': out.maxInstructions = parseCount(name, value()); break;
      case '--out': out.out = value(); break;
      case '--json': out.json = true; break;
      default: throw new UsageError(`unknown option ${name} (see rseqlab explore --help)`);
    }
  });
  if (out.help) return out;
  if (i >= argv.length) throw new UsageError('no program given (see rseqlab explore --help)');
  out.program = argv[i];
  out.args = argv.slice(i + 1);
  return out;
}

/** The coverage table: one row per critical section. */
export function coverageTable(r: ExploreResult): string[] {
  const header = ['critical section', 'start', 'points', 'before', 'reached', ...EVENT_KINDS, 'aborted in'];
  const rows = r.coverage.sections.map((s) => [
    s.symbol,
    `0x${s.start.toString(16)}`,
    String(s.points),
    String(s.before),
    String(s.reached),
    ...EVENT_KINDS.map((k) => (s.kinds[k] ? `${s.kinds[k]!.tried}/${s.kinds[k]!.fired}` : '-')),
    `${s.abortedRuns} runs`,
  ]);
  const width = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) => cells.map((x, c) => (c === 0 ? x.padEnd(width[c]) : x.padStart(width[c]))).join('  ').trimEnd();
  return [
    line(header),
    ...rows.map(line),
    'points: the section\'s instructions and post_commit_ip; before: instructions before it explored too;',
    `per event kind: points tried/points where the event landed ('-': not explored); aborted in: runs (of ${r.runs}) that aborted the section`,
  ];
}

function summary(r: ExploreResult): string[] {
  const lines = r.staticFindings.map((f) => `rseqlab: static rseq ABI finding: ${f}`);
  for (const u of r.unusable) lines.push(`rseqlab: explore: no ${u.kind} events: ${u.reason}`);
  const levels = r.levels.map((l) => `${l.runs} run${l.runs === 1 ? '' : 's'} with ${l.events} event${l.events === 1 ? '' : 's'}${l.sampled ? ` (${l.planned} of ${l.possible} combinations, sampled)` : ''}`).join(', ');
  const cov = `events landed on ${r.coverage.fired} of ${r.coverage.tried} (point, kind) pairs tried`;
  if (!r.failure) {
    lines.push(`rseqlab: explore: no run failed in ${r.runs} runs (${levels}; seed ${r.seed}); ${cov}`);
    if (r.staticFindings.length > 0) lines.push(`rseqlab: explore: but the program breaks ${r.staticFindings.length} rseq ABI rule${r.staticFindings.length === 1 ? '' : 's'} statically (above): exit status 1`);
    return lines;
  }
  const f = r.failure;
  lines.push(f.k < 0
    ? `rseqlab: explore: FAILED without any injected event (seed ${r.seed}): ${f.summary}`
    : `rseqlab: explore: FAILED at run ${f.k + 1} of ${r.planned} planned (seed ${r.seed}): ${f.summary}`);
  lines.push(`rseqlab: shrunk to ${f.events} event${f.events === 1 ? '' : 's'} in ${f.shrinkRuns} runs (first: ${f.original})`);
  for (const l of f.explanation) lines.push(`rseqlab:   ${l}`);
  return lines;
}

/** An explore failure's replay file name: <program>.seed<S>.explore<K> (-plain when it fails with no event). */
export function exploreReplayName(program: string, seed: number, k: number): string {
  return `${basename(program)}.seed${seed}.explore${k < 0 ? '-plain' : k}`;
}

export async function exploreCommand(argv: readonly string[], io: CliIo, loadCpu: () => Promise<Cpu>): Promise<number> {
  const a = parseExploreArguments(argv);
  if (a.help) {
    io.writeStdout(EXPLORE_HELP);
    return 0;
  }
  const target = loadTarget(a);
  const cpu = await loadCpu();
  const progress = io.stderrIsTerminal && !a.json;
  const result = await explore({
    target, cpu, seed: a.seed, events: a.events, bound: a.bound, combinations: a.combinations, hits: a.hits, before: a.before, now: () => io.now(),
    onProgress: progress ? (p) => io.writeStderr(`\r\x1b[Kexplore: ${p.runs}/${p.planned} runs, ${p.perSecond.toFixed(0)}/s, landed on ${p.fired}/${p.tried} (point, kind) pairs, ${p.failures} failure${p.failures === 1 ? '' : 's'}`) : undefined,
  });
  if (progress) io.writeStderr('\r\x1b[K');
  if (result.coverage.sections.length === 0 && !result.failure) {
    throw new InputError(`${a.program}: lists no rseq critical section (__rseq_cs_ptr_array): nothing to explore`);
  }
  if (result.failure) saveReplay(a.out, exploreReplayName(a.program, a.seed, result.failure.k), result.failure, a.program);
  if (a.json) io.writeStdout(JSON.stringify(result, null, 2) + '\n');
  else io.writeStdout(coverageTable(result).join('\n') + '\n');
  for (const l of summary(result)) io.writeStderr(l + '\n');
  if (result.failure?.replayPath) io.writeStderr(`rseqlab: replay with: rseqlab replay ${result.failure.replayPath}\n`);
  return result.failure || result.staticFindings.length > 0 ? 1 : 0;
}
