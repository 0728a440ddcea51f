// `rseqlab fuzz`: the command-line face of fuzz/. It runs the campaign on
// --jobs worker threads (fuzz-workers.ts), under one kernel profile or
// several (a differential), prints one line per finding and a summary (or
// the result as JSON with --json), draws a live progress line on a
// terminal, writes the replay file of a failure to --out, and exits 0
// (nothing failed), 1 (a failure, or the profiles disagree) or 2 (usage or
// input errors). `rseqlab replay` is in replay.ts.

import { basename } from 'node:path';
import type { Cpu } from '../emulator/api.js';
import { mergeShards, type FuzzResult, type KernelName } from '../fuzz/campaign.js';
import type { EventKind, Strategy } from '../fuzz/generate.js';
import type { FuzzTarget } from '../fuzz/runner.js';
import { ElfError, parseElf } from '../kernel-model/elf.js';
import { KERNEL_PROFILE_NAMES, type KernelProfileName } from '../kernel-model/kernel-profile.js';
import { parseCount } from './args.js';
import { EVENT_KINDS, parseCpus, parseEventKinds, parseKernel, scanOptions } from './options.js';
import { InputError, UsageError } from './errors.js';
import { readHostFile, type CliIo } from './run.js';
import { defaultJobs, fuzzInWorkers, writeReplayFile } from './fuzz-workers.js';

export const FUZZ_HELP = `usage: rseqlab fuzz [options] <program> [args...]

Runs the program under many schedules of injected preemptions, migrations
and signals, biased towards its rseq critical sections, until one fails
(non-zero exit, a fatal signal, an rseq ABI finding, a deadlock, the
instruction budget); then shrinks the failure to the fewest events and the
shortest run, explains it and writes a replay file.

options:
  --cpus N               virtual CPUs (default 2)
  --schedules K          schedules to run (default 2000, or no limit with --time)
  --time S               stop starting schedules after S seconds
  --seed S               campaign seed (default 1): schedule k depends only on (S, k)
  --jobs J               worker threads (default: all cores, here ${defaultJobs()}); the result does
                         not depend on J: the failure with the smallest k
  --events LIST          event kinds, comma-separated: preempt,migrate,signal (default all;
                         signals only ones the program handles)
  --strategy NAME        random | pct | mixed (default mixed)
  --kernel V[,V...]      kernel profile (${KERNEL_PROFILE_NAMES.join(' | ')}; default current);
                         a list (e.g. 6.19,7.0) runs every schedule under each and reports a
                         schedule on which they disagree (passes on one, fails on another,
                         or fails differently)
  --debug-rseq           checker findings kill, as on a CONFIG_DEBUG_RSEQ kernel
  --max-instructions N   budget of one run (default 200000000)
  --shard I/N            run only the I-th of N disjoint slices of the schedules (1-based):
                         schedules k with k % N == I-1
  --out DIR              write the failure's replay file there (default: the current directory)
  --json                 print the result as JSON on stdout
  --merge FILE...        instead of fuzzing, merge the --json results of all N shards of one
                         campaign (--shard 1/N ... N/N) into the whole campaign's result
exit status: 0 nothing failed, 1 a failure was found (or the program breaks an rseq ABI
rule statically, e.g. a commit that is not the last instruction), 2 usage or input errors.
`;

interface FuzzArguments {
  program: string;
  args: string[];
  cpus: number;
  schedules: number;
  timeMs?: number;
  seed: number;
  jobs?: number;
  events: EventKind[];
  strategy: Strategy;
  kernel: KernelProfileName | 'current';
  /** fuzz: every kernel profile of --kernel (kernel is the first). */
  kernels: KernelName[];
  debugRseq: boolean;
  maxInstructions: number;
  shard?: { index: number; count: number };
  out: string;
  json: boolean;
  /** --merge: the program and args are shard results (--json output) to merge. */
  merge: boolean;
  help: boolean;
}

export function parseFuzzArguments(argv: readonly string[], replay = false): FuzzArguments {
  const out: FuzzArguments = {
    program: '', args: [], cpus: 2, schedules: 2000, seed: 1, events: [...EVENT_KINDS], strategy: 'mixed',
    kernel: 'current', kernels: ['current'], debugRseq: false, maxInstructions: 200_000_000, out: '.', json: false, merge: false, help: false,
  };
  let schedulesGiven = false;
  const i = scanOptions(argv, (name, value) => {
    switch (name) {
      case '-h': case '--help': out.help = true; break;
      case '--cpus': out.cpus = parseCpus(name, value()); break;
      case '--max-instructions': out.maxInstructions = parseCount(name, value()); break;
      case '--kernel': {
        const list = value().split(',').map((x) => parseKernel(x.trim()));
        if (replay && list.length > 1) throw new UsageError('--kernel: a replay runs under one kernel profile');
        out.kernels = [...new Set(list as KernelName[])];
        out.kernel = out.kernels[0];
        break;
      }
      case '--debug-rseq': out.debugRseq = true; break;
      default:
        if (replay) throw new UsageError(`unknown option ${name} (see rseqlab replay --help)`);
        switch (name) {
          case '--schedules': out.schedules = parseCount(name, value()); schedulesGiven = true; break;
          case '--time': {
            const s = Number(value());
            if (!(s > 0)) throw new UsageError(`--time: expected seconds > 0`);
            out.timeMs = s * 1000;
            break;
          }
          case '--seed': out.seed = parseCount(name, value(), true); break;
          case '--events': out.events = parseEventKinds(value()); break;
          case '--strategy': {
            const s = value();
            if (s !== 'random' && s !== 'pct' && s !== 'mixed') throw new UsageError(`--strategy ${s}: random, pct or mixed`);
            out.strategy = s;
            break;
          }
          case '--shard': {
            const m = /^(\d+)\/(\d+)$/.exec(value());
            if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new UsageError('--shard: expected I/N with 1 <= I <= N, e.g. 2/4');
            out.shard = { index: Number(m[1]) - 1, count: Number(m[2]) };
            break;
          }
          case '--out': out.out = value(); break;
          case '--json': out.json = true; break;
          case '--merge': out.merge = true; break;
          case '--jobs': out.jobs = parseCount(name, value()); break;
          default: throw new UsageError(`unknown option ${name} (see rseqlab fuzz --help)`);
        }
    }
  });
  if (out.help) return out;
  // --time alone: as many schedules as fit in the time.
  if (out.timeMs !== undefined && !schedulesGiven) out.schedules = Infinity;
  if (i >= argv.length) throw new UsageError(out.merge ? '--merge: name the shards\' result files' : `no program given (see rseqlab ${replay ? 'replay' : 'fuzz'} --help)`);
  out.program = argv[i];
  out.args = argv.slice(i + 1);
  return out;
}

/** Where fuzz, explore and replay place a program in the guest: /NAME. */
export function guestPath(hostPath: string): string {
  return `/${basename(hostPath)}`;
}

export function loadTarget(a: { program: string; args: string[]; cpus: number; kernel: KernelProfileName | 'current'; debugRseq: boolean; maxInstructions: number }): FuzzTarget {
  const program = readHostFile(a.program, 'program');
  try {
    parseElf(program);
  } catch (e) {
    if (e instanceof ElfError) throw new InputError(`${a.program}: ${e.message}`);
    throw e;
  }
  // The guest sees the program as /NAME whatever host directory it is in:
  // argv[0] is in guest memory, so a campaign's schedules depend on it.
  return { program, path: guestPath(a.program), args: a.args, cpus: a.cpus, kernel: a.kernel, debugRseq: a.debugRseq, maxInstructions: a.maxInstructions };
}

function summary(r: FuzzResult): string[] {
  const lines = r.staticFindings.map((f) => `rseqlab: static rseq ABI finding: ${f}`);
  const cov = `${r.coverage.covered} of ${r.coverage.coverable} (section, instruction, event) points`;
  if (!r.failure) {
    const kernels = r.kernels.length > 1 ? `, under each of kernels ${r.kernels.join(', ')}` : '';
    const time = r.stoppedBy === 'time' ? ' (the time ran out)' : '';
    lines.push(`rseqlab: fuzz: no run failed in ${r.schedules} schedules${time} (seed ${r.seed}, ${r.strategy}${kernels}); covered ${cov}`);
    if (r.staticFindings.length > 0) lines.push(`rseqlab: fuzz: but the program breaks ${r.staticFindings.length} rseq ABI rule${r.staticFindings.length === 1 ? '' : 's'} statically (above): exit status 1`);
    return lines;
  }
  const f = r.failure;
  const under = r.kernels.length > 1 ? ` (kernel ${f.kernel})` : '';
  lines.push(`rseqlab: fuzz: FAILED ${f.k < 0 ? 'with no injected event' : `at schedule ${f.k} of seed ${r.seed} after ${r.schedules} schedules`}: ${f.summary}${under}`);
  if (f.difference) lines.push(`rseqlab: fuzz: KERNELS DIFFER: ${f.difference}`);
  lines.push(`rseqlab: shrunk to ${f.events} event${f.events === 1 ? '' : 's'} in ${f.shrinkRuns} runs (first: ${f.original})`);
  for (const l of f.explanation) lines.push(`rseqlab:   ${l}`);
  return lines;
}

export async function fuzzCommand(argv: readonly string[], io: CliIo, loadCpu: () => Promise<Cpu>): Promise<number> {
  const a = parseFuzzArguments(argv);
  if (a.help) {
    io.writeStdout(FUZZ_HELP);
    return 0;
  }
  if (a.merge) return mergeCommand([a.program, ...a.args], a.json, io);
  const target = loadTarget(a);
  const progress = io.stderrIsTerminal && !a.json;
  const result = await fuzzInWorkers(
    { target, kernels: a.kernels, seed: a.seed, schedules: a.schedules, strategy: a.strategy, events: a.events, shard: a.shard },
    {
      jobs: a.jobs, timeMs: a.timeMs, now: () => io.now(), loadCpu,
      onProgress: progress ? (p) => io.writeStderr(`\r\x1b[Kfuzz: ${p.schedules} schedules, ${p.perSecond.toFixed(0)}/s, covered ${p.covered}/${p.coverable} points, ${p.failures} failure${p.failures === 1 ? '' : 's'}`) : undefined,
    },
  );
  if (progress) io.writeStderr('\r\x1b[K');
  writeReplayFile(a.out, result, a.program);
  if (a.json) io.writeStdout(JSON.stringify(result, null, 2) + '\n');
  for (const l of summary(result)) io.writeStderr(l + '\n');
  if (result.failure?.replayPath) io.writeStderr(`rseqlab: replay with: rseqlab replay ${result.failure.replayPath}\n`);
  return result.failure || result.staticFindings.length > 0 ? 1 : 0;
}

/** fuzz --merge: the shards' results united, reported as one campaign's. */
function mergeCommand(files: string[], json: boolean, io: CliIo): number {
  const parts = files.map((f) => {
    const text = new TextDecoder().decode(readHostFile(f, 'fuzz result'));
    try {
      const r = JSON.parse(text) as FuzzResult;
      if (typeof r !== 'object' || r === null || !r.program || !r.coverage || !Array.isArray(r.kernels)) throw new Error('not the --json output of rseqlab fuzz');
      return r;
    } catch (e) {
      throw new InputError(`${f}: ${(e as Error).message}`);
    }
  });
  let result: FuzzResult;
  try {
    result = mergeShards(parts);
  } catch (e) {
    if (e instanceof RangeError) throw new InputError(e.message.replace(/^mergeShards: /, '--merge: '));
    throw e;
  }
  if (json) io.writeStdout(JSON.stringify(result, null, 2) + '\n');
  for (const l of summary(result)) io.writeStderr(l + '\n');
  if (result.failure?.replayPath) io.writeStderr(`rseqlab: replay with: rseqlab replay ${result.failure.replayPath}\n`);
  return result.failure || result.staticFindings.length > 0 ? 1 : 0;
}
