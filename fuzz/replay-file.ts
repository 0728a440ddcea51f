// The replay file: everything needed to rerun a failure exactly, as JSON
// (documented in README): the program's identity (path and SHA-256), the
// argv[0] it ran with, its arguments, the machine's options, and the schedule in its compact text
// form, with what the failure looked like.

import type { KernelProfileName } from '../kernel-model/kernel-profile.js';
import type { Failure } from './judge.js';
import type { FuzzTarget } from './runner.js';
import { decodeSchedule, type Schedule } from './schedule.js';

export const REPLAY_FORMAT = 'rseqlab-replay';
export const REPLAY_VERSION = 1;

export interface ReplayFile {
  format: typeof REPLAY_FORMAT;
  version: typeof REPLAY_VERSION;
  /** Where the program file is (the CLI writes it absolute) and its SHA-256. */
  program: { path: string; sha256: string };
  /** argv[0] and the guest path the run used (it is in the guest's memory, so a replay must use it too). */
  argv0: string;
  args: string[];
  cpus: number;
  kernel: KernelProfileName | 'current';
  debugRseq: boolean;
  maxInstructions: number;
  env: string[];
  schedule: string;
  /** The failure the schedule gave when it was found. */
  expect: { kind: Failure['kind']; class: string; summary: string };
}

export class ReplayFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayFormatError';
  }
}

export function makeReplay(t: FuzzTarget, sha256: string, schedule: string, f: Failure): ReplayFile {
  return {
    format: REPLAY_FORMAT,
    version: REPLAY_VERSION,
    program: { path: t.path, sha256 },
    argv0: t.path,
    args: [...t.args],
    cpus: t.cpus,
    kernel: t.kernel,
    debugRseq: t.debugRseq ?? false,
    maxInstructions: t.maxInstructions,
    env: [...(t.env ?? [])],
    schedule,
    expect: { kind: f.kind, class: f.class, summary: f.summary },
  };
}

const KERNELS = ['4.18', '6.3', '6.19', '7.0', 'current'];

/** Parses and checks a replay file's text; ReplayFormatError says what is wrong. */
export function parseReplay(text: string): { replay: ReplayFile; schedule: Schedule } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    // The parser quotes the text it choked on: a binary file would put control bytes on the terminal.
    throw new ReplayFormatError(`not JSON (${(e as Error).message.replace(/[\x00-\x1f\x7f-\x9f]/g, '.')})`);
  }
  const o = v as Partial<ReplayFile> & Record<string, unknown>;
  const bad = (what: string) => new ReplayFormatError(`not an rseqlab replay file: ${what}`);
  if (typeof o !== 'object' || o === null) throw bad('expected a JSON object');
  if (o.format !== REPLAY_FORMAT) throw bad(`"format" is ${JSON.stringify(o.format)}, expected "${REPLAY_FORMAT}"`);
  if (o.version !== REPLAY_VERSION) throw bad(`"version" ${JSON.stringify(o.version)} is not one this rseqlab reads (${REPLAY_VERSION})`);
  if (typeof o.program?.path !== 'string' || !/^[0-9a-f]{64}$/.test(String(o.program?.sha256))) throw bad('"program" needs "path" and a 64-digit hex "sha256"');
  if (typeof o.argv0 !== 'string') throw bad('"argv0" must be a string (the program\'s argv[0] in the run)');
  if (!Array.isArray(o.args) || !o.args.every((a) => typeof a === 'string')) throw bad('"args" must be a list of strings');
  if (!Number.isInteger(o.cpus) || (o.cpus as number) < 1 || (o.cpus as number) > 64) throw bad('"cpus" must be 1..64');
  if (!KERNELS.includes(String(o.kernel))) throw bad(`"kernel" must be one of ${KERNELS.join(', ')}`);
  if (typeof o.debugRseq !== 'boolean') throw bad('"debugRseq" must be true or false');
  if (!Number.isSafeInteger(o.maxInstructions) || (o.maxInstructions as number) < 1) throw bad('"maxInstructions" must be a positive integer');
  if (!Array.isArray(o.env) || !o.env.every((a) => typeof a === 'string')) throw bad('"env" must be a list of strings');
  if (typeof o.schedule !== 'string') throw bad('"schedule" must be a string');
  if (typeof o.expect?.summary !== 'string' || typeof o.expect?.class !== 'string') throw bad('"expect" needs "kind", "class" and "summary"');
  return { replay: o as ReplayFile, schedule: decodeSchedule(o.schedule) };
}
