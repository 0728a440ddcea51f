// A fuzzer's run as the page opens it: which bundled program, the target
// (program, argv[0], arguments, machine options) and the schedule, from
// one of three places: the page's own fuzzer, a replay file `rseqlab fuzz`
// wrote, or a share link. No DOM here: the program's bytes come from a
// function, so Node tests open the same runs.

import { sha256 } from '../fuzz/campaign.js';
import { parseReplay, ReplayFormatError, type ReplayFile } from '../fuzz/replay-file.js';
import type { FuzzTarget } from '../fuzz/runner.js';
import { decodeSchedule, ScheduleFormatError, type Schedule } from '../fuzz/schedule.js';
import { FUZZ_MAX_INSTRUCTIONS, fuzzArgv0, type SharedRun } from './share-link.js';

export interface ScheduledRun {
  /** The bundled program's name (build/programs/<name>). */
  name: string;
  target: FuzzTarget;
  schedule: Schedule;
  /** What the failure looked like when it was found (from a replay file). */
  expect?: ReplayFile['expect'];
}

/** A replay file the page cannot open, and why (what is wrong, what to do). */
export class ReplayLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayLoadError';
  }
}

/** The bytes of a bundled program, or undefined when the page has none of that name. */
export type ProgramSource = (name: string) => Promise<Uint8Array | undefined>;

/** The target the page's fuzzer makes of the form's choices: as `rseqlab fuzz` makes it (argv[0] /NAME, 200 M instructions), so campaigns agree. */
export function fuzzTargetOf(name: string, program: Uint8Array, r: Pick<SharedRun, 'args' | 'cpus' | 'kernel' | 'debugRseq'> & Partial<Pick<SharedRun, 'argv0' | 'maxInstructions' | 'env'>>): FuzzTarget {
  return {
    program,
    path: r.argv0 ?? fuzzArgv0(name),
    args: [...r.args],
    cpus: r.cpus,
    kernel: r.kernel,
    debugRseq: r.debugRseq,
    maxInstructions: r.maxInstructions ?? FUZZ_MAX_INSTRUCTIONS,
    env: [...(r.env ?? [])],
  };
}

/** The last part of a path ("/home/me/rseqlab/build/programs/x" → "x"). */
function baseName(path: string): string {
  return path.split('/').filter(Boolean).at(-1) ?? '';
}

/**
 * Opens a replay file's text: checks its format, finds the bundled
 * program of its name and checks that program's SHA-256 against the
 * file's (another build of the program would run differently).
 */
export async function scheduledRunFromReplay(text: string, programs: ProgramSource): Promise<ScheduledRun> {
  let replay: ReplayFile;
  let schedule: Schedule;
  try {
    ({ replay, schedule } = parseReplay(text));
  } catch (e) {
    if (e instanceof ReplayFormatError || e instanceof ScheduleFormatError) throw new ReplayLoadError(`This is not a replay file rseqlab can open: ${e.message}. Nothing was changed.`);
    throw e;
  }
  const name = baseName(replay.program.path);
  const program = name ? await programs(name) : undefined;
  if (!program) throw new ReplayLoadError(`The replay file is of ${JSON.stringify(replay.program.path)}, and the page has no program called ${JSON.stringify(name)}. Nothing was changed.`);
  const digest = await sha256(program);
  if (digest !== replay.program.sha256) {
    throw new ReplayLoadError(`The page's ${name} is not the program the failure was found in (its SHA-256 is ${digest}, the file says ${replay.program.sha256}): it was made with another build. Nothing was changed.`);
  }
  const target = fuzzTargetOf(name, program, { args: replay.args, cpus: replay.cpus, kernel: replay.kernel, debugRseq: replay.debugRseq, argv0: replay.argv0, maxInstructions: replay.maxInstructions, env: replay.env });
  return { name, target, schedule, expect: replay.expect };
}

/** The run a share link with a schedule names (the program's bytes from `programs`). */
export async function scheduledRunFromLink(r: SharedRun & { schedule: string }, programs: ProgramSource): Promise<ScheduledRun> {
  const program = await programs(r.program);
  if (!program) throw new ReplayLoadError(`The link names ${JSON.stringify(r.program)}, and the page has no program of that name.`);
  return { name: r.program, target: fuzzTargetOf(r.program, program, r), schedule: decodeSchedule(r.schedule) };
}

/** The share link's fields for a scheduled run. */
export function sharedRunOf(run: Pick<ScheduledRun, 'name' | 'target'>, schedule: string, seed: number): SharedRun {
  const t = run.target;
  return {
    program: run.name,
    args: [...t.args],
    seed,
    cpus: t.cpus,
    kernel: t.kernel,
    debugRseq: t.debugRseq ?? false,
    schedule,
    argv0: t.path,
    maxInstructions: t.maxInstructions,
    ...(t.env && t.env.length > 0 ? { env: [...t.env] } : {}),
  };
}
