// Runs a built rseq program (build/programs/<name>) in a fresh Machine with
// what the rseq corpus tests vary: vCPUs, seed, kernel profile, quantum,
// chaos, injections (resolved against the loaded program) and
// CONFIG_DEBUG_RSEQ. Keeps the events the tests look at (rseq, inject,
// finding) and the warnings. Program bytes are read once per file.
import { readFileSync } from 'node:fs';
import { createCpu } from '../../emulator/index.js';
import type { CriticalSection } from '../../kernel-model/elf-rseq.js';
import type { MachineEvent } from '../../kernel-model/events.js';
import type { ChaosOptions, Injection } from '../../kernel-model/injection.js';
import type { KernelProfileName } from '../../kernel-model/kernel-profile.js';
import { Machine, type RunResult } from '../../kernel-model/machine.js';
import type { FuzzTarget } from '../../fuzz/runner.js';
import { programPath } from './native.js';

export interface GuestOptions {
  cpus?: number;
  /** NUMA nodes (default 1). */
  nodes?: number;
  seed?: number;
  kernel?: KernelProfileName;
  quantum?: number;
  chaos?: ChaosOptions;
  debugRseq?: boolean;
  inject?: (m: Machine) => Injection[];
  maxInstructions?: number;
}

export interface GuestRun {
  m: Machine;
  r: RunResult;
  out: string;
  err: string;
  /** 'rseq', 'inject' and 'finding' events, in order. */
  events: MachineEvent[];
  warnings: string[];
}

const bytes = new Map<string, Uint8Array>();

function programBytes(name: string): Uint8Array {
  let b = bytes.get(name);
  if (!b) {
    b = new Uint8Array(readFileSync(programPath(name)));
    bytes.set(name, b);
  }
  return b;
}

/**
 * The known-buggy programs each run of the fuzzer or explore must find,
 * with their arguments (small, so a run is short). The two that need two
 * threads on one slot at once run 4 threads: after an injected event the
 * section runs with the other vCPU in between (stepSectionAfterInjection).
 * rseq_bug_abort_inside is not here: on the current kernel no run fails,
 * only the static check reports it.
 */
export const BUGGY_PROGRAMS: [string, string[]][] = [
  ['rseq_bug_commit_not_last', []],
  ['rseq_bug_two_stores', []],
  ['rseq_bug_bad_signature', []],
  ['rseq_bug_syscall_in_cs', []],
  ['rseq_bug_no_cpu_check', ['4', '500']],
  ['rseq_bug_mmcid_unchecked', ['4', '500']],
];

/**
 * A built program as the fuzzer's target, as `rseqlab fuzz` would make it:
 * the guest sees it as /NAME, on 2 vCPUs, with a 200 M instruction cap.
 */
export function fuzzTarget(name: string, args: readonly string[] = [], kernel: FuzzTarget['kernel'] = 'current'): FuzzTarget {
  return { program: programBytes(name), path: `/${name}`, args: [...args], cpus: 2, kernel, maxInstructions: 200_000_000 };
}

export async function runGuest(name: string, args: readonly string[], o: GuestOptions = {}): Promise<GuestRun> {
  const path = programPath(name);
  const warnings: string[] = [];
  const m = Machine.create({
    cpu: await createCpu(),
    program: programBytes(name),
    path,
    argv: [path, ...args],
    seed: o.seed ?? 1,
    cpus: o.cpus ?? 4,
    nodes: o.nodes,
    kernelProfile: o.kernel,
    quantum: o.quantum,
    debugRseq: o.debugRseq,
    onWarning: (w) => warnings.push(w),
  });
  if (o.chaos) m.setChaos(o.chaos);
  for (const i of o.inject?.(m) ?? []) m.inject(i);
  const events: MachineEvent[] = [];
  m.onEvent((e) => {
    if (e.kind === 'rseq' || e.kind === 'inject' || e.kind === 'finding') events.push(e);
  });
  const r = m.run({ maxInstructions: o.maxInstructions ?? 50_000_000 });
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { m, r, out: text(r.stdout), err: text(r.stderr), events, warnings };
}

/** The critical section whose start_ip lies in `fn` (its symbol is "fn+OFF"). */
export function sectionIn(m: Machine, fn: string): CriticalSection {
  const found = m.criticalSections.filter((cs) => cs.symbol?.startsWith(`${fn}+`));
  if (found.length !== 1) {
    throw new Error(`expected one critical section in ${fn}, found ${found.length} among ${m.criticalSections.map((cs) => cs.symbol).join(', ')}`);
  }
  return found[0];
}

/** Start addresses of the instructions of [cs.start, cs.postCommit), decoded in order. */
export function instructions(m: Machine, cs: CriticalSection): number[] {
  const out: number[] = [];
  for (let at = cs.start; at < cs.postCommit; at += m.cpu.decode(at).length) out.push(at);
  return out;
}

/** The last instruction of the range (what must be the commit). */
export function lastInstruction(m: Machine, cs: CriticalSection): number {
  return instructions(m, cs).at(-1)!;
}

export function abortCount(run: GuestRun): number {
  return run.events.filter((e) => e.kind === 'rseq' && e.what === 'abort').length;
}
