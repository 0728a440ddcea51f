// A run as a link: the page's choices (program, arguments, seed, vCPUs,
// kernel profile) and, for a fuzzer's failure, its schedule, in the URL's
// hash, so opening the link restores the same run (and the server never
// sees it). Plain data both ways; no DOM, so Node tests read and write it.
//
//   #program=rseq_counter&arg=2&arg=300&seed=1&cpus=2&kernel=current
//   #program=rseq_bug_two_stores&seed=1&cpus=2&kernel=current&schedule=s2a.p@401b3c
//
// Each argument is its own `arg` (an argument may hold a space). With a
// schedule the run is the fuzzer's (Session.fromSchedule), whose scheduler
// seed is the schedule's; `seed` is then only the form's. `argv0`,
// `max` (instructions), `env` and `debug` appear only when they differ from
// what the page's fuzzer uses (a replay file made elsewhere may set them).

import { isKernelProfileName, type KernelProfileName } from '../kernel-model/kernel-profile.js';
import { decodeSchedule, ScheduleFormatError } from '../fuzz/schedule.js';

/** What a link holds. */
export interface SharedRun {
  program: string;
  args: string[];
  seed: number;
  cpus: number;
  kernel: KernelProfileName | 'current';
  debugRseq: boolean;
  /** A fuzzer's schedule (compact text), or undefined for a plain run of the choices. */
  schedule?: string;
  /** argv[0] of a schedule's run, when not `/<program>` (rseqlab fuzz's). */
  argv0?: string;
  /** The instruction budget of a schedule's run, when not rseqlab fuzz's default. */
  maxInstructions?: number;
  /** The guest's environment of a schedule's run, when not empty. */
  env?: string[];
}

/** rseqlab fuzz's defaults, which a link leaves out. */
export const FUZZ_MAX_INSTRUCTIONS = 200_000_000;
export const fuzzArgv0 = (program: string) => `/${program}`;

export class ShareLinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShareLinkError';
  }
}

/** The URL hash (with its '#') for a run. */
export function encodeSharedRun(r: SharedRun): string {
  const q = new URLSearchParams();
  q.set('program', r.program);
  for (const a of r.args) q.append('arg', a);
  q.set('seed', String(r.seed));
  q.set('cpus', String(r.cpus));
  q.set('kernel', r.kernel);
  if (r.debugRseq) q.set('debug', '1');
  if (r.schedule !== undefined) q.set('schedule', r.schedule);
  if (r.argv0 !== undefined && r.argv0 !== fuzzArgv0(r.program)) q.set('argv0', r.argv0);
  if (r.maxInstructions !== undefined && r.maxInstructions !== FUZZ_MAX_INSTRUCTIONS) q.set('max', String(r.maxInstructions));
  for (const e of r.env ?? []) q.append('env', e);
  return '#' + q.toString();
}

function integer(q: URLSearchParams, key: string, min: number, max: number): number {
  const text = q.get(key);
  const n = text === null || text.trim() === '' ? NaN : Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ShareLinkError(`the link's ${key} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`);
  return n;
}

/** The run a URL hash names, or undefined when the hash names none (empty, or no program); ShareLinkError says what is wrong with one that does. */
export function decodeSharedRun(hash: string): SharedRun | undefined {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const program = q.get('program');
  if (program === null) return undefined;
  if (!/^[A-Za-z0-9_.-]+$/.test(program)) throw new ShareLinkError(`the link names no program rseqlab bundles: ${JSON.stringify(program)}`);
  const kernel = q.get('kernel') ?? 'current';
  if (!isKernelProfileName(kernel)) throw new ShareLinkError(`the link's kernel ${JSON.stringify(kernel)} is not a profile rseqlab has (4.18, 6.3, 6.19, 7.0, current)`);
  const schedule = q.get('schedule') ?? undefined;
  if (schedule !== undefined) {
    try {
      decodeSchedule(schedule);
    } catch (e) {
      if (e instanceof ScheduleFormatError) throw new ShareLinkError(`the link's ${e.message}`);
      throw e;
    }
  }
  return {
    program,
    args: q.getAll('arg'),
    seed: q.has('seed') ? integer(q, 'seed', 0, 2 ** 32 - 1) : 1,
    cpus: q.has('cpus') ? integer(q, 'cpus', 1, 64) : 2,
    kernel,
    debugRseq: q.get('debug') === '1',
    ...(schedule !== undefined ? { schedule } : {}),
    ...(q.has('argv0') ? { argv0: q.get('argv0')! } : {}),
    ...(q.has('max') ? { maxInstructions: integer(q, 'max', 1, Number.MAX_SAFE_INTEGER) } : {}),
    ...(q.has('env') ? { env: q.getAll('env') } : {}),
  };
}
